// The Kubernetes objects of local-setup/k8s, in the files its kustomization.yaml lists.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const K8S_DIR = path.join(REPO_ROOT, 'local-setup/k8s');

export interface ManifestObject {
  /** Path from the repository root. */
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

export function kustomizationResources(): string[] {
  const kustomization = parseYaml(readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8'));
  return (kustomization as { resources: string[] }).resources;
}

export function loadManifests(): ManifestObject[] {
  return kustomizationResources().flatMap((resource) => {
    const file = path.join('local-setup/k8s', resource);
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    return parseAllDocuments(text)
      .map((document) => {
        if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
        return document.toJS() as Record<string, unknown> | null;
      })
      .filter((body): body is Record<string, unknown> => body !== null)
      .map((body) => ({
        file,
        apiVersion: String(body.apiVersion),
        kind: String(body.kind),
        name: String((body.metadata as { name?: string } | undefined)?.name),
        body,
      }));
  });
}
