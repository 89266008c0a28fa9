package web_test

// What the browser story checks on every page it looks at, beside taking its picture: every form control
// has a label, and every text is readable on its background (WCAG AA contrast: 4.5:1, 3:1 for large
// text), computed by the browser from the page as it is drawn.

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// a11yScript returns the page's problems, one a line: controls without a label, and texts whose
// contrast with what is behind them is below AA.
const a11yScript = `(() => {
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el); return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"; };
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const labelled = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.getAttribute("title");
    if (!labelled) out.push("no label: " + name(el) + (el.name ? " name=" + el.name : ""));
  }
  const rgba = (s) => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0]; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3]; return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1]; };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) layers.push(c); if (c[3] >= 1) break; }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim() || seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    if (el.closest("[aria-hidden=true]") || el.closest(".skip")) continue;
    const bg = background(el);
    const fg = over(rgba(s.color), bg);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const need = (size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5;
    if (ratio < need) out.push("contrast " + ratio.toFixed(2) + " < " + need + ": " + name(el) + " " + JSON.stringify(n.textContent.trim().slice(0, 40)) + " " + s.color + " on rgb(" + bg.slice(0, 3).map(Math.round).join(",") + ")");
  }
  return out.join("\n");
})()`

// a11y is an action that fails the test with the page's accessibility problems.
func a11y(t *testing.T, page string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		problems, err := chromedp.Evaluate[string](a11yScript)(ctx, tg)
		if err != nil {
			return err
		}
		if problems = strings.TrimSpace(problems); problems != "" {
			t.Errorf("%s: accessibility:\n%s", page, problems)
		}
		return nil
	})
}
