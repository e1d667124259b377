#!/bin/sh
# tests/layers.sh [ROOT] - check the layering rule on the #include lines.
#
# The layers, lowest first: protocols/ (the engines), sim/ (the world and
# the store), ui/ (the command line and the player).  A file may include
# the headers of its own layer and of the layers below, never of a layer
# above: the engines know nothing of the world, the world nothing of its
# views.  The Makefile enforces the same rule with each layer's include
# path; this check also catches a path written out ("../ui/player.h").
#
# Prints one "FAIL" line for each include that breaks the rule, naming the
# file and line, and exits 1 if there was one.
root=${1:-.}
rank() {
	case $1 in
	protocols) echo 1 ;;
	sim) echo 2 ;;
	ui) echo 3 ;;
	*) echo 0 ;;
	esac
}
for layer in protocols sim ui; do
	mine=$(rank $layer)
	for f in "$root/$layer"/*.[ch]; do
		[ -f "$f" ] || continue
		# every quoted include, as "LINE NAME"
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' |
		while read -r line name; do
			base=${name##*/}
			# the layer the header belongs to: the folder named in the
			# path, else the one that holds a file of that name
			case $name in
			*/*) dir=${name%/*}; dir=${dir##*/} ;;
			*) dir=
			   for l in protocols sim ui; do
				   [ -f "$root/$l/$base" ] && dir=$l && break
			   done ;;
			esac
			[ -n "$dir" ] || continue # a header of the system, or generated
			theirs=$(rank "$dir")
			if [ "$theirs" -gt "$mine" ]; then
				echo "FAIL ${f#"$root"/}:$line: includes \"$name\" of $dir/, a layer above $layer/"
			fi
		done
	done
done | grep . && exit 1
exit 0
