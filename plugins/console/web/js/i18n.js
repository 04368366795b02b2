// English and Romanian. Strings live in i18n/en.js and i18n/ro.js, one key
// each; a key missing in Romanian falls back to English rather than to a
// blank button.

import en from './i18n/en.js';
import ro from './i18n/ro.js';

const catalogs = { en, ro };
const KEY = 'clinicd.console.language';
let language = catalogs[localStorage.getItem(KEY)] ? localStorage.getItem(KEY) : 'en';

export function lang() {
  return language;
}

/// The Intl locale of the language (dates, numbers).
export function locale() {
  return language === 'ro' ? 'ro-RO' : 'en-GB';
}

export function setLang(value) {
  if (!catalogs[value]) return;
  language = value;
  localStorage.setItem(KEY, value);
  document.documentElement.lang = value;
}

export function t(key, params) {
  let text = catalogs[language][key] ?? en[key] ?? key;
  if (params) for (const [name, v] of Object.entries(params)) text = text.split(`{${name}}`).join(String(v));
  return text;
}

/// Static markup names its strings with data-i18n (text) and data-i18n-label
/// (aria-label).
export function translateStatic(root = document) {
  document.documentElement.lang = language;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  document.title = t('title');
}
