# SPDX-License-Identifier: MIT
# The statistics bench/table.sh and bench/scale.sh share: values added per
# key (one per run), their median, min, max, per-run ratios, the number
# format and a target's MET/MISSED line. Prepended to each script's awk
# program.
function add(k, v) { n[k]++; val[k, n[k]] = v + 0 }
function med(k,   i, j, c, t, a) {
  c = n[k]; if (c == 0) return "";
  for (i = 1; i <= c; i++) a[i] = val[k, i];
  for (i = 2; i <= c; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
}
function lo(k,   i, m) { m = val[k, 1]; for (i = 2; i <= n[k]; i++) if (val[k, i] < m) m = val[k, i]; return m }
function hi(k,   i, m) { m = val[k, 1]; for (i = 2; i <= n[k]; i++) if (val[k, i] > m) m = val[k, i]; return m }
function has(k) { return (k in n) && n[k] > 0 }
function fmt(x) { return (x >= 100 || x == int(x)) ? sprintf("%.0f", x) : sprintf("%.2f", x) }
# Per-run ratios a/b (rows of the same run) into key @out; returns the median.
function runratio(a, b, out,   i, c) {
  c = n[a] < n[b] ? n[a] : n[b]; delete n[out]
  for (i = 1; i <= c; i++) if (val[b, i] > 0) add(out, val[a, i] / val[b, i])
  return med(out)
}
function target(text, ok, fig) { printf "  %-6s %-64s %s\n", ok ? "MET" : "MISSED", text, fig }
