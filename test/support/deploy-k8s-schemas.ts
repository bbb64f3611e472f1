// Offline validation of Kubernetes objects: the API's OpenAPI schemas as compiled by
// kubernetes-models (core kinds) and its KEDA and prometheus-operator packages (CRDs).
// Those schemas allow unknown fields (as the API server did before strict field validation),
// so shapeProblems adds a check for misspelt fields where a typo would silently do nothing.
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import type { Doc } from "./deploy-checks.ts";

type Model = new (data: never) => { validate(): void };

const MODELS: Record<string, Model> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

export function schemaProblems(doc: Doc): string[] {
  const id = `${doc.apiVersion}/${doc.kind}`;
  const model = MODELS[id];
  if (model === undefined) return [`${id} ${doc.metadata?.name}: no schema known for this kind`];
  try {
    new model(doc as never).validate();
    return [];
  } catch (err) {
    return [`${id} ${doc.metadata?.name}: ${(err as Error).message}`];
  }
}

// Fields of the objects we write that the schemas would let a typo through (API reference, v1.30).
const POD_SPEC = ["containers", "initContainers", "volumes", "securityContext", "terminationGracePeriodSeconds", "serviceAccountName", "restartPolicy",
  "affinity", "topologySpreadConstraints", "nodeSelector", "tolerations", "priorityClassName", "imagePullSecrets", "automountServiceAccountToken"];
const CONTAINER = ["name", "image", "command", "args", "env", "envFrom", "ports", "readinessProbe", "livenessProbe", "startupProbe",
  "resources", "securityContext", "volumeMounts", "imagePullPolicy", "lifecycle", "workingDir"];
const PROBE = ["httpGet", "tcpSocket", "exec", "grpc", "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold"];
const NETPOL_SPEC = ["podSelector", "policyTypes", "ingress", "egress"];
const NETPOL_PEER = ["podSelector", "namespaceSelector", "ipBlock"];

function unknownKeys(where: string, obj: Doc | undefined, allowed: string[]): string[] {
  return Object.keys(obj ?? {}).filter((k) => !allowed.includes(k)).map((k) => `${where}: unknown field ${k}`);
}

export function shapeProblems(doc: Doc): string[] {
  const name = `${doc.kind} ${doc.metadata?.name}`;
  if (doc.kind === "Deployment" || doc.kind === "StatefulSet" || doc.kind === "Job") {
    const pod = doc.spec?.template?.spec as Doc;
    return [
      ...unknownKeys(`${name} pod spec`, pod, POD_SPEC),
      ...([...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as Doc[]).flatMap((c) => [
        ...unknownKeys(`${name} container ${c.name}`, c, CONTAINER),
        ...["readinessProbe", "livenessProbe", "startupProbe"].flatMap((p) => unknownKeys(`${name} ${c.name} ${p}`, c[p], PROBE)),
      ]),
    ];
  }
  if (doc.kind === "NetworkPolicy") {
    const rules = [...(doc.spec?.ingress ?? []), ...(doc.spec?.egress ?? [])] as Doc[];
    return [
      ...unknownKeys(name, doc.spec, NETPOL_SPEC),
      ...rules.flatMap((r) => [...(r.from ?? []), ...(r.to ?? [])].flatMap((peer: Doc) => unknownKeys(`${name} peer`, peer, NETPOL_PEER))),
    ];
  }
  return [];
}
