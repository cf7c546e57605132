"""How res_agi turns a command line into words (``parse_args`` semantics in Asterisk).

Words split on spaces and tabs outside double quotes; ``"`` toggles quoting (a quote that
opens after whitespace starts a word, so ``""`` is an empty word); a backslash makes the next
character literal (``\\"``, ``\\\\``, ``\\ ``) and is itself dropped. At most 127 words.
"""

from __future__ import annotations

MAX_ARGS = 128


def parse_args(line: str, max_args: int = MAX_ARGS) -> list[str]:
    """Split one command line (without its newline) into argv, as Asterisk does."""
    words: list[list[str]] = []
    quoted = escaped = False
    between_words = True
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and between_words:
                words.append([])
                between_words = False
            continue
        if char in " \t" and not quoted and not escaped:
            between_words = True
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if between_words:
            if len(words) >= max_args - 1:
                continue  # Asterisk logs "Too many arguments, truncating" and drops the rest
            words.append([])
            between_words = False
        words[-1].append(char)
        escaped = False
    return ["".join(word) for word in words]
