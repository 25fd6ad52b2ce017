# omg's command-not-found handler for zsh: source it from ~/.zshrc.
#
# A command that is not there: the packages that have it, in pkgfile's
# words, from omg's cache of the .files databases (pacman -Fy), then
# zsh's own message when none does.  omg cnf answers within half a
# second or not at all, and never rebuilds the cache for it.
command_not_found_handler() {
	local cmd=$1
	local -a pkgs

	pkgs=(${(f)"$(omg cnf -- "$cmd" 2>/dev/null)"})
	if (( ${#pkgs} )); then
		printf '%s may be found in the following packages:\n' "$cmd"
		printf '  %s\n' "${pkgs[@]}"
	else
		printf 'zsh: command not found: %s\n' "$cmd"
	fi 1>&2
	return 127
}
