"use strict";
// A job's description as HTML, defensively. The fetcher sanitized it (nh3); here it is parsed once
// more into an inert document (DOMParser runs no script and loads nothing) and rebuilt from an
// allowlist: new elements without attributes, text nodes as text, a link only to an http(s) address.
// Any other element is unwrapped (its content kept by the same rules); script-like ones are dropped.
// Chromium checks an event handler attribute against the CSP even while parsing an inert document,
// and logs the refusal: sanitized descriptions have none, so the console stays quiet.

const KEPT = new Set(["P", "BR", "UL", "OL", "LI", "STRONG", "B", "EM", "I", "H1", "H2", "H3", "H4", "H5", "H6",
  "BLOCKQUOTE", "PRE", "CODE"]);
// Containers that hold lines of their own: unwrapped into a bare div, so lines stay apart.
const BLOCKS = new Set(["DIV", "SECTION", "ARTICLE", "HEADER", "FOOTER", "ASIDE", "MAIN", "ADDRESS", "CENTER",
  "FIGURE", "FIGCAPTION", "DL", "DT", "DD", "TABLE", "TR", "TD", "TH", "CAPTION"]);
const DROPPED = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IFRAME", "OBJECT", "EMBED", "HEAD", "TITLE",
  "TEXTAREA", "SELECT", "XMP", "NOEMBED", "NOFRAMES"]);
const MAX_DEPTH = 64;  // deeper markup is flattened to its text rather than recursed into

function descriptionFragment(html) {
  const parsed = new DOMParser().parseFromString(String(html), "text/html");
  const fragment = document.createDocumentFragment();
  rebuild(parsed.body, fragment, 0);
  return fragment;
}

function rebuild(source, target, depth) {
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) { target.append(node.data); continue; }
    // comments, SVG and MathML (with all they hold) and script-like elements are left out
    if (node.nodeType !== Node.ELEMENT_NODE || !isHtml(node) || DROPPED.has(node.tagName)) continue;
    if (depth >= MAX_DEPTH) { target.append(node.textContent); continue; }
    const copy = copyOf(node);
    if (copy) target.append(copy);
    rebuild(node, copy || target, depth + 1);
  }
}

function isHtml(node) {
  return node.namespaceURI === "http://www.w3.org/1999/xhtml";
}

// A new element standing for `node`, or null when `node` is unwrapped into its parent.
function copyOf(node) {
  if (KEPT.has(node.tagName)) return document.createElement(node.tagName.toLowerCase());
  if (BLOCKS.has(node.tagName)) return document.createElement("div");
  if (node.tagName !== "A") return null;
  const address = webAddress(node.getAttribute("href"));
  if (!address) return null;  // a javascript:, data: or relative link keeps only its text
  const link = document.createElement("a");
  link.setAttribute("href", safeHref(address));
  link.setAttribute("rel", "nofollow noopener");
  return link;
}

function webAddress(href) {
  try {
    const url = new URL(String(href ?? ""));  // no base: relative addresses throw
    return ["http:", "https:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}
