// The clinic's directory (locations, services, doctors), read once per
// sign-in, and patients' names, read as appointments show them. Names come
// through GET /patients/{id}, so the server's access policy (and its audit)
// decides who sees whom.

import { all, get } from './api.js';

export const directory = { locations: [], services: [], doctors: [] };
const patients = new Map();
let loaded = null;

export function loadDirectory() {
  if (!loaded) {
    loaded = Promise.all([all('/locations'), all('/services'), all('/doctors')])
      .then(([locations, services, doctors]) => {
        Object.assign(directory, { locations, services, doctors });
      })
      .catch((e) => {
        loaded = null;
        throw e;
      });
  }
  return loaded;
}

/// Reads the directory again (after an administrator changed it).
export function reloadDirectory() {
  loaded = null;
  return loadDirectory();
}

export function resetCaches() {
  loaded = null;
  patients.clear();
  Object.assign(directory, { locations: [], services: [], doctors: [] });
}

export const locationById = (id) => directory.locations.find((l) => l.id === Number(id));
export const serviceById = (id) => directory.services.find((s) => s.id === Number(id));
export const doctorById = (id) => directory.doctors.find((d) => d.id === Number(id));

export function zoneOf(locationId) {
  const l = locationById(locationId);
  return (l && l.timezone) || 'UTC';
}

export function patientName(p) {
  return p ? `${p.first_name} ${p.last_name}` : '';
}

/// The patient, or null where the caller may not see them (a 403/404 shows
/// as "patient #id", never as an error in the agenda).
export function patient(id) {
  if (!patients.has(id)) {
    patients.set(id, get(`/patients/${id}`).catch(() => null));
  }
  return patients.get(id);
}

export function rememberPatient(p) {
  patients.set(p.id, Promise.resolve(p));
}
