#!/usr/bin/env bash
# Checks every Markdown link of README.md, BENCHMARKS.md and docs/*.md: a
# relative link must name a file or folder of the repository, and a link to
# "#anchor" (on its own page or another page) must name a heading of that page,
# spelled as GitHub spells heading anchors. Links outside code blocks and
# code spans count; http(s) and mailto links are not followed.
#   tests/docs_links_test.sh ROOT
set -euo pipefail
root=$1
cd "$root"
pages=(README.md BENCHMARKS.md docs/*.md)

# anchors PAGE: the anchors of PAGE's headings, one per line (GitHub: lower
# case, punctuation other than - and _ dropped, spaces to -, repeats get -1,
# -2, ...).
anchors() {
  awk '
    /^```/ { code = !code; next }
    code { next }
    /^#+ / {
      h = $0; sub(/^#+ +/, "", h); h = tolower(h)
      gsub(/[^a-z0-9 _-]/, "", h); gsub(/ /, "-", h)
      if (h in seen) { seen[h]++; h = h "-" seen[h] } else { seen[h] = 0 }
      print h
    }
  ' "$1"
}

# links PAGE: the link targets of PAGE, one per line, as "line<TAB>target".
links() {
  awk '
    /^```/ { code = !code; next }
    code { next }
    {
      line = $0
      gsub(/`[^`]*`/, "", line)  # code spans hold no links
      while (match(line, /\]\([^)]+\)/)) {
        print NR "\t" substr(line, RSTART + 2, RLENGTH - 3)
        line = substr(line, RSTART + RLENGTH)
      }
    }
  ' "$1"
}

failures=0
checked=0
for page in "${pages[@]}"; do
  dir=$(dirname "$page")
  while IFS=$'\t' read -r line target; do
    case "$target" in http://* | https://* | mailto:*) continue ;; esac
    file=${target%%#*}
    anchor=
    [[ "$target" == *"#"* ]] && anchor=${target#*#}
    if [ -z "$file" ]; then
      resolved=$page
    else
      resolved=$dir/$file
    fi
    checked=$((checked + 1))
    if [ ! -e "$resolved" ]; then
      echo "FAIL: $page:$line: link to $target: no such file ($resolved)" >&2
      failures=$((failures + 1))
      continue
    fi
    if [ -n "$anchor" ]; then
      # (The headings taken whole: `anchors | grep -q` under pipefail fails
      # when grep exits at its match while awk is still writing.)
      if [[ "$resolved" != *.md ]] ||
        ! grep -qxF -- "$anchor" <<<"$(anchors "$resolved")"; then
        echo "FAIL: $page:$line: link to $target: $resolved has no heading #$anchor" >&2
        failures=$((failures + 1))
      fi
    fi
  done < <(links "$page")
done
[ "$checked" -gt 0 ] || { echo "FAIL: no links found" >&2; exit 1; }
if [ "$failures" -gt 0 ]; then
  echo "FAIL: $failures of $checked links are broken" >&2
  exit 1
fi
echo "PASS: $checked links of README.md, BENCHMARKS.md and docs/ resolve"
