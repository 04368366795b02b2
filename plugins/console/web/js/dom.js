// A small element builder: the console draws its screens with the DOM API
// only (no innerHTML of server text, no inline handlers), so a strict
// Content-Security-Policy holds and a patient's name can never become markup.

export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (key.startsWith('on') && typeof v === 'function') el.addEventListener(key.slice(2), v);
    else if (key === 'value') value = v;
    else if (key === 'checked' || key === 'selected') el[key] = Boolean(v);
    else if (key === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(key === 'className' ? 'class' : key, v === true ? '' : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  if (value !== undefined) el.value = value;
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function option(value, label, selected) {
  return h('option', { value: String(value), selected: String(value) === String(selected) }, label);
}

/// A labelled form field: the label names the control for screen readers.
export function field(id, label, control) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
