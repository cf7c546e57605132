#!/bin/sh
# The IVR's voice prompts in Mandarin (issue 16): espeak-ng speaks each line of prompts.txt,
# sox makes it what Asterisk plays without transcoding: 8 kHz, mono, 16-bit WAV.
# Both come from Debian, installed here when absent. Output: deploy/asterisk/prompts/out/<name>.wav
set -eu
if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null; then
  echo "installing Debian's espeak-ng and sox"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng sox
fi
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
