// Fields a Kubernetes object sets that its API type does not have. kubernetes-models' validation
// accepts unknown fields (so does `kubectl apply` without strict validation, which drops them
// with a warning): a misspelt `readinesProbe` would silently leave a pod unprobed. This walks
// each object against the TypeScript interfaces the package ships (I<Kind> in
// kubernetes-models/<group>/<version>/<Kind>), property by property.
import * as path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT, type ManifestObject } from './manifests';

function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** One "file kind name: path" line per unknown field. */
export function unknownFields(objects: readonly ManifestObject[]): string[] {
  const probe = path.join(REPO_ROOT, 'tools/deploy-check/.manifest-types.ts');
  const source = objects
    .map(
      (object, i) =>
        `import type { I${object.kind} as T${i} } from '${modelModule(object.apiVersion, object.kind)}';\n` +
        `export declare const o${i}: T${i};\n`,
    )
    .join('');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (path.resolve(file) === probe ? source : readFile(file));
  const exists = host.fileExists.bind(host);
  host.fileExists = (file) => path.resolve(file) === probe || exists(file);
  const program = ts.createProgram([probe], options, host);
  const unresolved = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (unresolved.length > 0) throw new Error(`model types not found: ${unresolved.join('; ')}`);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(probe)!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
  const problems: string[] = [];
  objects.forEach((object, i) => {
    const symbol = exported.find((s) => s.name === `o${i}`)!;
    const where = `${object.file} ${object.kind} ${object.name}`;
    walk(checker, object.body, checker.getTypeOfSymbol(symbol), '', (field) =>
      problems.push(`${where}: unknown field ${field}`),
    );
  });
  return problems;
}

function walk(
  checker: ts.TypeChecker,
  value: unknown,
  declared: ts.Type,
  at: string,
  report: (field: string) => void,
): void {
  if (value === null || typeof value !== 'object') return;
  const type = objectPart(checker.getNonNullableType(declared));
  if (type === undefined) return;
  if (Array.isArray(value)) {
    const element = type.getNumberIndexType();
    if (element) value.forEach((item, i) => walk(checker, item, element, `${at}[${i}]`, report));
    return;
  }
  const mapValues = type.getStringIndexType();
  for (const [key, field] of Object.entries(value)) {
    const property = type.getProperty(key);
    const fieldPath = at === '' ? key : `${at}.${key}`;
    if (property) walk(checker, field, checker.getTypeOfSymbol(property), fieldPath, report);
    else if (mapValues) walk(checker, field, mapValues, fieldPath, report);
    else report(fieldPath);
  }
}

/** The object member of a union such as `IProbe | undefined`; undefined for any/primitives. */
function objectPart(type: ts.Type): ts.Type | undefined {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
  if (!type.isUnion()) return type.flags & ts.TypeFlags.Object ? type : undefined;
  const objects = type.types.filter((member) => member.flags & ts.TypeFlags.Object);
  return objects.length === 1 ? objects[0] : undefined;
}
