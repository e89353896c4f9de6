(function () {
  'use strict';
  var root = document.documentElement;
  // Uncaught errors are counted on <html>, where a reader or a headless browser can see them.
  window.addEventListener('error', function (event) {
    root.setAttribute('data-script-errors', String(Number(root.getAttribute('data-script-errors') || 0) + 1));
    root.setAttribute('data-last-script-error', String(event.message));
  });
  document.addEventListener('DOMContentLoaded', function () {
    var tip = document.createElement('div');
    tip.className = 'tooltip';
    tip.hidden = true;
    document.body.appendChild(tip);
    document.querySelectorAll('svg.chart').forEach(function (chart) {
      var box = chart.viewBox.baseVal;
      var drawn = 0;
      chart.querySelectorAll('circle.point').forEach(function (point) {
        // The SVG title is the tooltip without script; with script it moves to data-tip, so
        // the browser's slow native tooltip does not show over this one.
        var title = point.querySelector('title');
        if (title) {
          point.setAttribute('data-tip', title.textContent);
          point.setAttribute('aria-label', title.textContent);
          title.remove();
        }
        var b = point.getBBox();
        if (b.width > 0 && b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height) {
          drawn += 1;
        }
      });
      // How many sample markers were laid out inside the chart: what a check of the page reads.
      chart.setAttribute('data-drawn-points', String(drawn));
    });
    document.addEventListener('pointerover', function (event) {
      var target = event.target;
      if (!(target instanceof Element) || !target.hasAttribute('data-tip')) {
        return;
      }
      tip.textContent = target.getAttribute('data-tip');
      tip.hidden = false;
      var at = target.getBoundingClientRect();
      tip.style.left = Math.max(4, Math.min(window.innerWidth - tip.offsetWidth - 4, at.left + at.width / 2 - tip.offsetWidth / 2)) + 'px';
      tip.style.top = Math.max(4, at.top - tip.offsetHeight - 8) + 'px';
    });
    document.addEventListener('pointerout', function (event) {
      if (event.target instanceof Element && event.target.hasAttribute('data-tip')) {
        tip.hidden = true;
      }
    });
    root.setAttribute('data-ready', 'true');
  });
}());
