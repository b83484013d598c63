#!/bin/sh
# text-stats: the command runtime's contract in a few lines of sh. The input file is
# $RUNBOX_INPUT_FILE; the JSON documents go to stdout; anything on stderr lands in the run log;
# a non-zero exit fails the file.
set -eu
file="$RUNBOX_INPUT_FILE"
[ -r "$file" ] || { echo "cannot read $file" >&2; exit 1; }
lines=$(wc -l < "$file" | tr -d ' ')
words=$(wc -w < "$file" | tr -d ' ')
bytes=$(wc -c < "$file" | tr -d ' ')
echo "counted $RUNBOX_INPUT_NAME" >&2
printf '[{"class_name":"Text","page_numbers":[1],"fields":{"lines":%s,"words":%s,"bytes":%s}}]\n' \
  "$lines" "$words" "$bytes"
