import { common } from '@switchyard/contracts';

/** Task class names: the router's classifier classes (common.TaskClass), lower case. */
export const TASK_CLASSES = ['code', 'math', 'extraction', 'reasoning', 'chat', 'creative', 'summarization', 'translation', 'other'] as const;

/** One task class name. */
export type TaskClassName = (typeof TASK_CLASSES)[number];

const byEnum: Record<number, TaskClassName> = {
  [common.TaskClass.CODE]: 'code',
  [common.TaskClass.MATH]: 'math',
  [common.TaskClass.EXTRACTION]: 'extraction',
  [common.TaskClass.REASONING]: 'reasoning',
  [common.TaskClass.CHAT]: 'chat',
  [common.TaskClass.CREATIVE]: 'creative',
  [common.TaskClass.SUMMARIZATION]: 'summarization',
  [common.TaskClass.TRANSLATION]: 'translation',
  [common.TaskClass.OTHER]: 'other',
};

/** The name of a classifier task class; an unclassified prompt counts as "other". */
export function taskClassName(taskClass: common.TaskClass): TaskClassName {
  return byEnum[taskClass] ?? 'other';
}

/** True for a known task class name. */
export function isTaskClassName(value: unknown): value is TaskClassName {
  return typeof value === 'string' && (TASK_CLASSES as readonly string[]).includes(value);
}
