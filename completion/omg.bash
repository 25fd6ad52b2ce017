# bash completion for omg -*- shell-script -*-
# Package names come from "omg suggest": the daemon when it runs, else the
# cache (embedded mode).  Global options typed before the command are
# passed along, so the same daemon and cache answer.

_omg()
{
	local cur prev i cmd="" opts
	local -a words globals
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	words=("${COMP_WORDS[@]}")

	case $prev in
	--socket|--config|--cache|--omg-conf)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--sort)
		COMPREPLY=($(compgen -W "relevance repo" -- "$cur"))
		return
		;;
	--limit)
		return
		;;
	esac

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${words[i]} in
		--socket|--config|--cache|--omg-conf)
			globals+=("${words[i]}" "${words[i+1]}")
			((i++))
			;;
		--no-daemon)
			globals+=("${words[i]}")
			;;
		-*)
			;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--socket --config --cache
			    --no-daemon --daemon --omg-conf --verbose --version
			    --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "search info status suggest ping audit doctor refresh watch list updates" \
			    -- "$cur"))
		fi
		return
	fi

	case $cmd in
	search)		opts="-q --quiet --json --limit --sort" ;;
	info)		opts="--json" ;;
	suggest)	opts="--json --limit" ;;
	status|ping|audit|watch)	opts="--json" ;;
	refresh)	opts="-q --quiet --json" ;;
	list)		opts="-e --explicit -d --deps -m --foreign -n --native
			    -t --unrequired -u --upgrades -q --quiet --json" ;;
	updates)	opts="-q --quiet --json" ;;
	doctor)		opts="" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [[ $cmd == info ]]; then
		# suggest adds near misses after the prefix matches; completion
		# keeps only what extends what was typed.
		local IFS=$'\n'
		COMPREPLY=($(compgen -W "$(omg "${globals[@]}" suggest \
		    --limit 100 -- "$cur" 2>/dev/null)" -- "$cur"))
	fi
}
complete -F _omg omg
