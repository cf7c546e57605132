#!/bin/sh
# The IVR's voice prompts in Mandarin (issue 16): espeak-ng speaks each line of prompts.txt,
# sox makes it what Asterisk plays without transcoding: 8 kHz, mono, 16-bit WAV.
# Debian: apt-get install espeak-ng sox. Output: deploy/asterisk/prompts/out/<name>.wav
set -eu
here=$(dirname "$0")
out="$here/out"
mkdir -p "$out"
tab=$(printf '\t')
while IFS="$tab" read -r name text; do
  [ -n "$name" ] || continue
  espeak-ng -v cmn -s 150 -w "$out/$name.raw.wav" "$text"
  sox "$out/$name.raw.wav" -r 8000 -c 1 -b 16 "$out/$name.wav" gain -n -3
  rm "$out/$name.raw.wav"
  echo "$out/$name.wav"
done < "$here/prompts.txt"
