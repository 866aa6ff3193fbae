#!/usr/bin/env python3
"""Doxygen input filter: reads gls's headers, written in Abseil's comment style.

gls's headers document with plain `//` comments (Google C++ style), which
Doxygen ignores. This filter, run by Doxygen on each header (docs/api/Doxyfile,
FILTER_PATTERNS), prints the header with
  - its opening comment block (the file's purpose, example and thread-safety)
    as the file's documentation (`\\file`);
  - every other comment that starts a line as a Doxygen comment (`///`), so it
    documents the declaration below it, as in gRPC's own headers;
  - a comment after a member or an enumerator on its line (and the comment
    lines aligned under it) as that member's documentation (`///<`);
  - indented example code in comments wrapped in `\\code` ... `\\endcode`.
Only what Doxygen reads changes: the line count stays the same, so Doxygen's
warnings point at the header's real lines.

  doxygen_filter.py HEADER
"""

import re
import sys

COMMENT = re.compile(r"^(\s*)//(?!/)( ?)(.*)$")
FILE_LINE = re.compile(r"^gls/\S+\.h$")
# A declaration ending in ; or , (a member, an enumerator) and a comment.
TRAILING = re.compile(r"^(\s*\S.*?[;,])(\s+)//(?!/) ?(.*)$")
LIST_ITEM = re.compile(r"^(- |\* |\d+\. )")


def comment_blocks(lines):
    """Yields (start, end) of each run of line-start // comment lines."""
    i = 0
    while i < len(lines):
        if COMMENT.match(lines[i]):
            j = i
            while j < len(lines) and COMMENT.match(lines[j]):
                j += 1
            yield i, j
            i = j
        else:
            i += 1


def convert_block(lines, start, end, first):
    """Rewrites lines[start:end] as Doxygen comment lines, in place."""
    in_code = False
    previous_blank = True
    in_list = False
    for k in range(start, end):
        indent, _, text = COMMENT.match(lines[k]).groups()
        blank = text.strip() == ""
        code_line = text.startswith("  ") and not blank
        if not in_code and code_line and previous_blank and not in_list:
            if not LIST_ITEM.match(text.strip()):
                in_code = True
                if k > start:  # the blank comment line above opens it
                    lines[k - 1] = f"{indent}/// \\code"
                else:
                    text = "\\code " + text.strip()
                    lines[k] = f"{indent}/// {text}"
                    previous_blank = False
                    continue
        if in_code and not code_line and not (blank and next_is_code(lines, k, end)):
            in_code = False
            if blank:  # the blank comment line below closes it
                lines[k] = f"{indent}/// \\endcode"
                previous_blank = True
                continue
            lines[k - 1] = lines[k - 1] + " \\endcode"
        if not in_code:
            if LIST_ITEM.match(text.strip()):
                in_list = True
            elif blank:
                in_list = False
        if k == start and first and FILE_LINE.match(text):
            text = "\\file"  # the file's own path names it already
        lines[k] = f"{indent}/// {text}" if not blank else f"{indent}///"
        previous_blank = blank
    if in_code:
        lines[end - 1] = lines[end - 1] + " \\endcode"


def next_is_code(lines, k, end):
    """Whether a later line of the block continues indented code."""
    for m in range(k + 1, end):
        text = COMMENT.match(lines[m]).group(3)
        if text.strip():
            return text.startswith("  ")
    return False


def convert_trailing(lines):
    """Rewrites trailing member comments, and lines aligned under them."""
    k = 0
    while k < len(lines):
        m = TRAILING.match(lines[k])
        if (m is None or lines[k].lstrip().startswith("//") or
                m.group(1).count('"') % 2 != 0):
            k += 1
            continue
        code, gap, text = m.groups()
        column = len(code) + len(gap)
        lines[k] = f"{code}{gap}///< {text}"
        k += 1
        # Continuation lines: a comment starting at the same column.
        while k < len(lines):
            c = COMMENT.match(lines[k])
            if c is None or len(c.group(1)) != column:
                break
            lines[k] = f"{c.group(1)}///< {c.group(3)}"
            k += 1


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    convert_trailing(lines)
    first = True
    for start, end in list(comment_blocks(lines)):
        # A comment after code on the same line is left alone: only blocks
        # that start a line document what follows them.
        convert_block(lines, start, end, first)
        first = False
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
