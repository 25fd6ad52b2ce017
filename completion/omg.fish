# fish completion for omg.  Package names come from "omg suggest" (the
# daemon when it runs, else the cache).

function __omg_globals
	set -l tok (commandline -opc)
	set -l out
	set -l i 2
	while test $i -le (count $tok)
		switch $tok[$i]
			case --socket --config --cache
				set out $out $tok[$i] $tok[(math $i + 1)]
				set i (math $i + 1)
			case --no-daemon
				set out $out $tok[$i]
		end
		set i (math $i + 1)
	end
	printf '%s\n' $out
end

function __omg_packages
	omg (__omg_globals) suggest --limit 100 -- (commandline -ct) 2>/dev/null
end

set -l cmds search info status suggest ping audit doctor refresh watch list updates
complete -c omg -f
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l socket -r -F -d 'daemon socket'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l config -r -F -d 'pacman.conf'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l cache -r -F -d 'cache file'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l no-daemon -d 'answer in this process'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l daemon -d 'run the daemon'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l omg-conf -r -F -d 'daemon limits'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l version -d 'print the version'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -l help -d 'print usage'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a search -d 'search sync packages'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a info -d 'package details'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a status -d 'system summary'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a suggest -d 'names for a prefix'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a ping -d 'is the daemon there'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a audit -d 'security advisories'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a doctor -d 'check the setup'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a refresh -d 'rebuild the cache now'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a watch -d 'follow the cache'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a list -d 'installed packages'
complete -c omg -n "not __fish_seen_subcommand_from $cmds" -a updates -d 'pending updates'
complete -c omg -n "__fish_seen_subcommand_from list" -s e -l explicit -d 'explicitly installed'
complete -c omg -n "__fish_seen_subcommand_from list" -s d -l deps -d 'installed as dependencies'
complete -c omg -n "__fish_seen_subcommand_from list" -s m -l foreign -d 'in no sync repo'
complete -c omg -n "__fish_seen_subcommand_from list" -s n -l native -d 'in a sync repo'
complete -c omg -n "__fish_seen_subcommand_from list" -s t -l unrequired -d 'required by nothing'
complete -c omg -n "__fish_seen_subcommand_from list" -s u -l upgrades -d 'with a newer version'
complete -c omg -n "__fish_seen_subcommand_from list updates" -s q -l quiet -d 'names only'
complete -c omg -n "__fish_seen_subcommand_from $cmds" -l json -d 'JSON output'
complete -c omg -n "__fish_seen_subcommand_from search" -s q -l quiet -d 'names only'
complete -c omg -n "__fish_seen_subcommand_from refresh" -s q -l quiet -d 'no progress'
complete -c omg -n "__fish_seen_subcommand_from search suggest" -l limit -x -d 'at most N'
complete -c omg -n "__fish_seen_subcommand_from search" -l sort -x -a 'relevance repo' -d 'order'
complete -c omg -n "__fish_seen_subcommand_from info" -a '(__omg_packages)'
