// Names and tags of what the ECS executor creates: one service and one task-definition family per pipeline.
import { LABELS } from "../../model";

/** ECS service and task-definition family of a pipeline (a pipeline id is a DNS label, so both are valid). */
export function serviceName(pipeline: string): string {
  return `reef-${pipeline}`;
}

export const familyName = serviceName;

/** Tag with a hash of the whole task definition, so a changed image or setting gets a new revision. */
export const SPEC_TAG = "reef.spec";

/**
 * Tag with the cluster a revision was registered for. Task-definition families are account-wide
 * while services are per cluster, so two stages in one account share `reef-<id>`: each only reuses
 * and deletes its own revisions.
 */
export const CLUSTER_TAG = "reef.cluster";

export type Tags = Record<string, string>;

export function toTagList(tags: Tags): { key: string; value: string }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export function fromTagList(list: { key?: string; value?: string }[] | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) if (t.key !== undefined) out[t.key] = t.value ?? "";
  return out;
}

export function pipelineTags(pipeline: string, version: string, digest: string): Tags {
  return { [LABELS.pipeline]: pipeline, [LABELS.version]: version, [LABELS.digest]: digest };
}

/** `arn:aws:ecs:r:a:task-definition/reef-x:3` → `reef-x` (ListTaskDefinitions' familyPrefix is not exact everywhere). */
export function familyOfArn(arn: string): string {
  const m = /:task-definition\/(.+):\d+$/.exec(arn);
  return m ? m[1] : "";
}

/** `arn:aws:ecs:r:a:service/cluster/reef-x` (or the old `service/reef-x`) → `reef-x`. */
export function serviceNameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
