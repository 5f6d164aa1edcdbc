// The teaching report's one script: a click (or Enter) on a matrix cell or a probe row shows the
// explain engine's account beside it and highlights, in the policies of that step, the rule that
// allowed the packet — or, when none did, the policies that isolate the pod. #cell=ID in the
// address selects a cell on load, so a teacher can link to one.
(function () {
  "use strict";
  function idPart(text) {
    return text.replace(/[^A-Za-z0-9-]/g, "_");
  }
  function element(tag, cssClass, text) {
    var node = document.createElement(tag);
    if (cssClass) { node.className = cssClass; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function sideLine(side) {
    if (!side.pod) { return side.direction + ": allowed — that end is not a pod, no policy applies"; }
    if (side.isolating.length === 0) {
      return side.direction + ": allowed — " + side.pod + " is not isolated for " + side.direction
        + (side.selecting.length ? " (selected by " + side.selecting.join(", ") + ")" : " (no policy selects it)");
    }
    if (side.allowedBy) { return side.direction + ": allowed by " + side.allowedBy.text; }
    return side.direction + ": DENIED — " + side.pod + " is isolated by " + side.isolating.join(", ")
      + " and no rule of them matches";
  }
  function clear(step) {
    step.querySelectorAll(".hl, .isolating, .deciding, .selected").forEach(function (node) {
      node.classList.remove("hl", "isolating", "deciding", "selected");
    });
  }
  function mark(id, cssClass) {
    var node = document.getElementById(id);
    if (node) { node.classList.add(cssClass); }
  }
  function select(cell) {
    var step = cell.closest(".step");
    var prefix = step.getAttribute("data-prefix");
    var data = JSON.parse(cell.getAttribute("data-cell"));
    clear(step);
    cell.classList.add("selected");
    var panel = step.querySelector(".explain");
    panel.replaceChildren();
    panel.appendChild(element("p", "verdict " + (data.allowed ? "allowed" : "denied"),
      data.from + " → " + data.to + "  " + data.probe + ": " + (data.allowed ? "ALLOWED" : "DENIED")));
    var facts = element("ul");
    if (data.probed) {
      facts.appendChild(element("li", "", "the probe saw it " + (data.allowed ? "allowed" : "denied")
        + (data.expected === null ? "" : data.expected === data.allowed ? ", as expected"
          : " — the scenario expected " + (data.expected ? "allowed" : "denied"))));
      facts.appendChild(element("li", "", "answer: " + (data.answer || "none")));
      facts.appendChild(element("li", "", data.sourceIpSeen ? "the receiver saw source " + data.sourceIpSeen
        : "nothing reached the receiver"));
    } else {
      facts.appendChild(element("li", "", "not probed: the verdict is what the policies say"));
    }
    var explanation = data.explanation;
    if (explanation) {
      facts.appendChild(element("li", "", sideLine(explanation.egress)));
      facts.appendChild(element("li", "", sideLine(explanation.ingress)));
      [explanation.egress, explanation.ingress].forEach(function (side) {
        if (side.allowedBy) {
          var rule = prefix + "-" + idPart(side.allowedBy.policy) + "-" + side.allowedBy.field + "-" + side.allowedBy.rule;
          mark(prefix + "-" + idPart(side.allowedBy.policy), "deciding");
          mark(rule, "hl");
          if (side.allowedBy.peer >= 0) { mark(rule + "-peer-" + side.allowedBy.peer, "hl"); }
          if (side.allowedBy.port >= 0) { mark(rule + "-port-" + side.allowedBy.port, "hl"); }
        } else if (!side.allowed) {
          side.isolating.forEach(function (policy) { mark(prefix + "-" + idPart(policy), "isolating"); });
        }
      });
      panel.appendChild(facts);
      panel.appendChild(element("pre", "", explanation.lines.join("\n")));
    } else {
      panel.appendChild(facts);
    }
    if (history.replaceState) { history.replaceState(null, "", "#cell=" + cell.id); }
  }
  document.addEventListener("click", function (event) {
    var cell = event.target.closest("[data-cell]");
    if (cell) { select(cell); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && document.activeElement && document.activeElement.hasAttribute("data-cell")) {
      select(document.activeElement);
    }
  });
  var wanted = /^#cell=(.+)$/.exec(location.hash);
  if (wanted) {
    var cell = document.getElementById(decodeURIComponent(wanted[1]));
    if (cell) { select(cell); cell.scrollIntoView({block: "nearest"}); }
  }
}());
