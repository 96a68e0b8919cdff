// kb's search page, enhanced: results follow the search box as you type (debounced), from the
// JSON of GET /search, and the address bar follows the results. Nothing depends on this file:
// without it the form searches the same way, page by page.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var form = document.getElementById("search");
  var input = document.getElementById("q");
  var kind = document.getElementById("kind");
  var main = document.getElementById("main");
  if (!form || !input || !kind || !main) return;

  var DELAY_MS = 250;
  var timer = null;
  var latest = 0;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(search, DELAY_MS);
  }
  input.addEventListener("input", schedule);
  kind.addEventListener("change", schedule);

  function params(q) {
    var p = new URLSearchParams();
    p.set("q", q);
    if (kind.value) p.set("kind", kind.value);
    var limit = form.querySelector("input[name=limit]");
    if (limit && limit.value) p.set("limit", limit.value);
    return p;
  }

  function search() {
    var q = input.value;
    if (!q.trim()) return;
    var p = params(q);
    var mine = ++latest;
    fetch("/search?" + p.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        if (mine !== latest) return; // an older answer arriving late
        render(data, p);
        history.replaceState(null, "", "/?" + p.toString());
        document.title = q + " \u00b7 kb";
      })
      .catch(function () { /* keep the page as it is: the form still searches */ });
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function link(href, text) {
    var a = el("a", "", text);
    a.href = href;
    return a;
  }

  function passageHref(id, q) {
    return "/p/" + encodeURIComponent(id) + "?" + new URLSearchParams({ q: q }).toString();
  }

  // The snippet is HTML made by kb's escaper: text escaped, matches in <mark>. It is rebuilt
  // as text nodes and <mark> elements, never given to innerHTML.
  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'" };
  function unescape(s) {
    return s.replace(/&(amp|lt|gt|quot|#39);/g, function (m) { return ENTITIES[m]; });
  }
  function snippet(html) {
    var p = el("p", "snippet");
    var parts = html.split(/(<mark>|<\/mark>)/);
    var inMark = false;
    parts.forEach(function (part) {
      if (part === "<mark>") { inMark = true; return; }
      if (part === "</mark>") { inMark = false; return; }
      if (!part) return;
      var text = document.createTextNode(unescape(part));
      if (inMark) {
        var m = el("mark");
        m.appendChild(text);
        p.appendChild(m);
      } else {
        p.appendChild(text);
      }
    });
    return p;
  }

  function kindFilters(p) {
    var nav = el("nav", "kinds");
    nav.setAttribute("aria-label", "Kind of passage");
    var ul = el("ul");
    var current = p.get("kind") || "";
    var choices = [""];
    Array.prototype.forEach.call(kind.options, function (o) { if (o.value) choices.push(o.value); });
    choices.forEach(function (k) {
      var q = new URLSearchParams(p);
      if (k) q.set("kind", k); else q.delete("kind");
      var a = link("/?" + q.toString(), k || "all kinds");
      if (k === current) a.setAttribute("aria-current", "page");
      var li = el("li");
      li.appendChild(a);
      ul.appendChild(li);
    });
    nav.appendChild(ul);
    return nav;
  }

  function hitItem(hit, q) {
    var li = el("li", "hit");
    li.setAttribute("data-kind", hit.kind);
    var h2 = el("h2");
    h2.appendChild(el("span", "rank", hit.rank + "."));
    h2.appendChild(document.createTextNode(" "));
    var title = link(passageHref(hit.passage_id, q),
      hit.doc_title + (hit.heading ? " \u203a " + hit.heading : ""));
    title.className = "title";
    h2.appendChild(title);
    h2.appendChild(document.createTextNode(" "));
    h2.appendChild(el("span", "kind", hit.kind));
    li.appendChild(h2);
    if (hit.question) {
      var question = el("p", "question", "Answer to ");
      question.appendChild(link(passageHref(hit.question.passage_id, q), hit.question.title));
      li.appendChild(question);
    }
    li.appendChild(snippet(hit.snippet));
    var source = el("p", "source");
    source.appendChild(el("code", "", hit.source.path + ":" + hit.source.line));
    source.appendChild(document.createTextNode(" \u00b7 "));
    source.appendChild(link(passageHref(hit.passage_id, q), hit.passage_id));
    li.appendChild(source);
    return li;
  }

  function render(data, p) {
    var q = p.get("q");
    var out = document.createDocumentFragment();
    var h1 = el("h1", "visually-hidden", "Results");
    out.appendChild(h1);
    out.appendChild(kindFilters(p));
    if (data.did_you_mean) {
      var dym = el("p", "did-you-mean", "Did you mean: ");
      var s = new URLSearchParams(p);
      s.set("q", data.did_you_mean);
      dym.appendChild(link("/?" + s.toString(), data.did_you_mean));
      dym.appendChild(document.createTextNode("?"));
      out.appendChild(dym);
    }
    if (!data.hits.length) {
      var none = el("p", "none", "No passages match ");
      none.appendChild(el("q", "", data.query));
      none.appendChild(document.createTextNode("."));
      out.appendChild(none);
    } else {
      var ol = el("ol", "hits");
      data.hits.forEach(function (hit) { ol.appendChild(hitItem(hit, q)); });
      out.appendChild(ol);
    }
    var n = data.hits.length;
    out.appendChild(el("p", "summary",
      n + (n === 1 ? " hit (" : " hits (") + data.total +
      (data.total === 1 ? " passage" : " passages") + " matched) in " +
      data.took_ms.toFixed(1) + " ms"));
    main.replaceChildren(out);
  }
})();
