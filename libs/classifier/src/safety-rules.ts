/**
 * Safety rules: each category contributes a probability-like score and the categories are combined
 * as a noisy-or, `1 - Π(1 - s)`. Harm categories (self-harm, weapons, drugs, intrusion) and personal
 * data in the text (an e-mail address, an id-like digit run) are sensitive on their own; medical,
 * legal, financial and personal-data topics only when the prompt asks for advice or speaks in the
 * first person (an exam question about law is not a request for legal advice).
 */
import { CUE } from './cue-lexicon';
import type { PromptScan } from './prompt-scan';

/** Score from which a prompt is `safetySensitive`. */
export const SAFETY_THRESHOLD = 0.5;

/** Per-category scores. */
export const SAFETY_WEIGHTS = {
  selfHarm: 0.9,
  weapons: 0.7,
  hacking: 0.6,
  drugs: 0.5,
  /** An e-mail address or a long digit run (phone, card, id number) in the prompt. */
  personalData: 0.6,
  /** Medical, legal, financial or personal-data topic without an advice request. */
  adviceTopic: 0.25,
  /** Such a topic asked in the first person or as a request for advice ("my passport", "should I"). */
  adviceRequest: 0.6,
} as const;

/** Scores how safety-sensitive a scanned prompt is. */
export function safetyScore(scan: PromptScan): number {
  const cues = scan.cueCounts;
  let clear = 1;
  if (cues[CUE.selfHarm] > 0) clear *= 1 - SAFETY_WEIGHTS.selfHarm;
  if (cues[CUE.weapons] > 0) clear *= 1 - SAFETY_WEIGHTS.weapons;
  if (cues[CUE.hacking] > 0) clear *= 1 - SAFETY_WEIGHTS.hacking;
  if (cues[CUE.drugs] > 0) clear *= 1 - SAFETY_WEIGHTS.drugs;
  if (scan.emailLike > 0 || scan.longDigitRuns > 0) clear *= 1 - SAFETY_WEIGHTS.personalData;
  if (cues[CUE.medical] > 0 || cues[CUE.legal] > 0 || cues[CUE.financial] > 0 || cues[CUE.personalData] > 0) {
    const asksForAdvice = cues[CUE.adviceRequest] > 0 || cues[CUE.firstPerson] > 0;
    clear *= 1 - (asksForAdvice ? SAFETY_WEIGHTS.adviceRequest : SAFETY_WEIGHTS.adviceTopic);
  }
  return 1 - clear;
}
