import { create } from '@bufbuild/protobuf';
import { common } from '@switchyard/contracts';

/** A text-only chat message, the most common case: `chatMessage('user', 'Hello')`. */
export function chatMessage(role: 'system' | 'user' | 'assistant', text: string): common.ChatMessage {
  const roles = { system: common.Role.SYSTEM, user: common.Role.USER, assistant: common.Role.ASSISTANT } as const;
  return create(common.ChatMessageSchema, { role: roles[role], parts: [{ kind: { case: 'text', value: text } }] });
}

/** The concatenated text parts of a message. */
export function messageText(message: common.ChatMessage | undefined): string {
  if (!message) return '';
  let text = '';
  for (const part of message.parts) if (part.kind.case === 'text') text += part.kind.value;
  return text;
}
