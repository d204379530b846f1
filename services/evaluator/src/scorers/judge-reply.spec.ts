import { MalformedJudgeReply, parseJudgeReply } from './judge-reply';

describe('parseJudgeReply', () => {
  it.each([
    ['{"score": 8, "reason": "Correct and complete."}', 8, 'Correct and complete.'],
    ['```json\n{"score": 3, "reason": "Wrong final number."}\n```', 3, 'Wrong final number.'],
    ['Here is my grade: {"score": "10", "reason": "Perfect"} — done.', 10, 'Perfect'],
    ['{"rating": 6, "explanation": "Partly right"}', 6, 'Partly right'],
    ['Score: 7/10\nReason: minor arithmetic slip', 7, 'minor arithmetic slip'],
    ['The answer is fine. Rating: [[9]]', 9, 'The answer is fine. Rating:'],
  ])('reads %j', (reply, score, reason) => {
    expect(parseJudgeReply(reply)).toEqual({ score, reason });
  });

  it.each([
    ['', /empty/],
    ['It looks pretty good to me overall.', /no score/],
    ['{"score": 11, "reason": "too high"}', /not an integer from 1 to 10/],
    ['{"score": 0, "reason": "too low"}', /not an integer from 1 to 10/],
    ['{"score": 7.5, "reason": "half point"}', /not an integer/],
    ['{"score": "high", "reason": "words"}', /no numeric "score"/],
    ['{"score": 5}', /no "reason"/],
    ['[5, "fine"]', /no score/],
  ])('rejects %j', (reply, message) => {
    expect(() => parseJudgeReply(reply)).toThrow(MalformedJudgeReply);
    expect(() => parseJudgeReply(reply)).toThrow(message);
  });

  it('keeps the reason short', () => {
    expect(parseJudgeReply(JSON.stringify({ score: 5, reason: 'x'.repeat(1000) })).reason.length).toBeLessThanOrEqual(300);
  });
});
