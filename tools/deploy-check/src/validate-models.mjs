// Validates Kubernetes objects with the kubernetes-models package (ESM only, hence a process of
// its own). Reads a JSON array of objects on stdin; prints a JSON array of error strings.
const input = JSON.parse(
  await new Promise((resolve) => {
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
  }),
);

const errors = [];
for (const object of input) {
  const where = `${object.kind} ${object.metadata?.name}`;
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  let models;
  try {
    models = await import(`kubernetes-models/${group === '' ? version : `${group}/${version}`}`);
  } catch {
    errors.push(`${where}: no model for apiVersion ${object.apiVersion}`);
    continue;
  }
  const Model = models[object.kind];
  if (!Model) {
    errors.push(`${where}: no model for kind ${object.kind} in ${object.apiVersion}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    errors.push(`${where}: ${error.message}`);
  }
}
process.stdout.write(JSON.stringify(errors));
