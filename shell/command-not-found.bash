# omg's command-not-found handler for bash: source it from ~/.bashrc.
#
# A command that is not there: the packages that have it, in pkgfile's
# words, from omg's cache of the .files databases (pacman -Fy), then
# bash's own message when none does.  omg cnf answers within half a
# second or not at all, and never rebuilds the cache for it.
command_not_found_handle() {
	local pkgs cmd=$1
	local FUNCNEST=10

	set +o verbose
	mapfile -t pkgs < <(omg cnf -- "$cmd" 2>/dev/null)
	if (( ${#pkgs[*]} )); then
		printf '%s may be found in the following packages:\n' "$cmd"
		printf '  %s\n' "${pkgs[@]}"
	else
		printf 'bash: %s: command not found\n' "$cmd"
	fi >&2
	return 127
}
