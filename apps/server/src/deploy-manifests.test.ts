/**
 * The Kubernetes manifests under deploy/kubernetes, validated offline against the
 * Kubernetes API's JSON schemas (shipped by `kubernetes-models`), and checked for what a
 * drained, shared-state deployment needs. Each check is proven by planting its defect.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const directory = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));

type Manifest = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field
  any
>;

const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function validate(manifest: Manifest): void {
  const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`No schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

const manifests: Manifest[] = readdirSync(directory)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(`${directory}${file}`, 'utf8')).map(
      (document) => document.toJSON() as Manifest,
    ),
  );
const find = (kind: string, name = 'llmr') =>
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name)!;

describe('Kubernetes manifests', () => {
  it.each(manifests.map((manifest) => [`${manifest.kind} ${manifest.metadata.name}`, manifest]))(
    '%s is valid against the Kubernetes schema',
    (_name, manifest) => {
      expect(() => validate(manifest as Manifest)).not.toThrow();
    },
  );

  it('the validator catches a planted error', () => {
    const broken = structuredClone(find('Deployment'));
    broken.spec.replicas = 'two';
    expect(() => validate(broken)).toThrow();
    const noContainers = structuredClone(find('Deployment'));
    delete noContainers.spec.template.spec.containers;
    expect(() => validate(noContainers)).toThrow();
  });

  it('probes /ready and /health, drains on termination, and reads keys and Redis from the Secret', () => {
    const deployment = find('Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.lifecycle.preStop).toBeDefined();
    // The grace period covers preStop (5 s) plus the server's drain (10 s).
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(20);
    expect(container.envFrom[0].secretRef.name).toBe(find('Secret', 'llmr-secrets').metadata.name);
    const secret = find('Secret', 'llmr-secrets').stringData;
    expect(Object.keys(secret)).toEqual(
      expect.arrayContaining(['LLMR_API_KEYS', 'LLMR_REDIS_URL']),
    );
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const mounted = pod.volumes.find(
      (volume: { configMap?: { name: string } }) => volume.configMap,
    );
    expect(mounted.configMap.name).toBe(find('ConfigMap', 'llmr-config').metadata.name);
    expect(container.args).toContain('/etc/llmr/llmr.yaml');
  });

  it('selects the Deployment from the Service, the HPA and the PodDisruptionBudget', () => {
    const labels = find('Deployment').spec.template.metadata.labels;
    for (const selector of [
      find('Service').spec.selector,
      find('PodDisruptionBudget').spec.selector.matchLabels,
    ])
      for (const [key, value] of Object.entries(selector)) expect(labels[key]).toBe(value);
    expect(find('HorizontalPodAutoscaler').spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: 'llmr',
    });
  });
});
