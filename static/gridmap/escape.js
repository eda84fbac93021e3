/* gridmap: the one place where a map page turns data (names, addresses, descriptions from
 * the database) into something on screen. Loaded by every map (layers/maps/base.py) before
 * the map's own script. Data is never pasted into HTML strings: tooltips and popups are
 * built as DOM nodes with textContent, or through esc() where a string template is needed. */
(function (root) {
  'use strict';

  /** The HTML-escaped text of any value (null/undefined → ''). */
  function esc(value) {
    return String(value === null || value === undefined ? '' : value)
      .replace(/[&<>"'`]/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }

  /** A value as plain text: lists joined with 、 (household tags), other objects as JSON. */
  function text(value) {
    if (value === null || value === undefined) { return ''; }
    if (Array.isArray(value)) { return value.map(text).join('、'); }
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  /** A table of label/value rows (a tooltip of GeoJSON properties), built as DOM nodes.
   *  ``skipEmpty`` leaves out properties that are null or missing. */
  function table(properties, fields, aliases, labels, skipEmpty) {
    var t = document.createElement('table');
    fields.forEach(function (key, i) {
      var value = properties ? properties[key] : undefined;
      if (skipEmpty && (value === null || value === undefined)) { return; }
      var row = t.insertRow();
      if (labels !== false) {
        var th = document.createElement('th');
        th.textContent = aliases[i];
        row.appendChild(th);
      }
      row.insertCell().textContent = text(value);
    });
    return t;
  }

  /** ``template`` (trusted, written by the app) with each {key} replaced by the escaped
   *  property: for popups that mix fixed markup (links) with data. */
  function fill(template, properties) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return esc(properties[key]); });
  }

  root.gridmap = {esc: esc, text: text, table: table, fill: fill};
})(window);
