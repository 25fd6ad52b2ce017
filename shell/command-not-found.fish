# omg's command-not-found handler for fish: source it from
# ~/.config/fish/config.fish (or copy it to ~/.config/fish/conf.d/).
#
# A command that is not there: the packages that have it, in pkgfile's
# words, from omg's cache of the .files databases (pacman -Fy), then
# fish's own message when none does.  omg cnf answers within half a
# second or not at all, and never rebuilds the cache for it.
function fish_command_not_found
    set -l cmd $argv[1]
    set -l pkgs (omg cnf -- $cmd 2>/dev/null)
    if test (count $pkgs) -gt 0
        printf '%s may be found in the following packages:\n' $cmd >&2
        printf '  %s\n' $pkgs >&2
    else if functions -q __fish_default_command_not_found_handler
        __fish_default_command_not_found_handler $argv
    else
        printf 'fish: Unknown command: %s\n' (string escape -- $cmd) >&2
    end
end
