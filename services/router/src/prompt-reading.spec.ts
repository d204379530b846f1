import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { common, router } from '@switchyard/contracts';
import { countTokens } from '@switchyard/testing';
import { getEncoding } from 'js-tiktoken';
import { readPrompt } from './prompt-reading';

const o200k = getEncoding('o200k_base');

// Repeated with line breaks: long unbroken runs make js-tiktoken's BPE slow (seconds for 1.5 KB of Thai).
const REPEAT = 12;
// Text the model reads, by script: the hold must cover every one of them (the typical estimate need not).
const PROMPTS: Array<[string, string]> = [
  ['English', 'The quick brown fox jumps over the lazy dog. Unit tests catch regressions early and make refactoring safer. '],
  ['code', 'function add(a: number, b: number): number {\n  return a + b; // sum\n}\nconst xs = [1, 2, 3].map((x) => x * 2);\n'],
  ['JSON', '{"id":"req_7f3a9c","items":[{"sku":"A-1023","qty":3,"price":19.99}],"ok":true,"tags":["x","y"]}'],
  ['digits', '3.14159265358979323846264338327950288419716939937510 2718281828 45904523536 '],
  ['hex', 'a3f9c2e18b7d4f6a0c5e9b2d1f8a7c3e6b4d0f9a2c8e1b7d5f3a6c9e0b2d4f8a1c7e3b5d9f0a6c2e8b4d1f7a3c5e9b0d6f2a'],
  ['base64', 'U3dpdGNoeWFyZCByb3V0ZXMgTExNIHJlcXVlc3RzIHRvIHRoZSBjaGVhcGVzdCBtb2RlbCB0aGF0IG1lZXRzIHRoZSBxdWFsaXR5IHRhcmdldC4='],
  ['Chinese', '请用三句话解释数据库索引的工作原理，以及它们为什么能让查询更快。'],
  ['rare Chinese', '龘靐齉爩麤灪鸞鬱籲驫鱻厵龖齾'],
  ['Japanese', 'データベースのインデックスがどのように機能するかを三文で説明してください。'],
  ['Korean', '데이터베이스 인덱스가 어떻게 작동하는지 세 문장으로 설명해 주세요.'],
  ['Russian', 'Объясните в трёх предложениях, как работают индексы базы данных и почему они ускоряют запросы.'],
  ['Greek', 'Εξηγήστε σε τρεις προτάσεις πώς λειτουργούν τα ευρετήρια βάσεων δεδομένων.'],
  ['Hebrew', 'הסבר בשלושה משפטים כיצד פועלים אינדקסים של מסדי נתונים.'],
  ['Arabic', 'اشرح في ثلاث جمل كيف تعمل فهارس قواعد البيانات ولماذا تجعل الاستعلامات أسرع.'],
  ['Hindi', 'तीन वाक्यों में समझाइए कि डेटाबेस इंडेक्स कैसे काम करते हैं और वे क्वेरी को तेज़ क्यों बनाते हैं।'],
  ['Thai', 'อธิบายในสามประโยคว่าดัชนีฐานข้อมูลทำงานอย่างไรและทำไมจึงทำให้การค้นหาเร็วขึ้น'],
  ['Tamil', 'தரவுத்தள குறியீடுகள் எவ்வாறு செயல்படுகின்றன என்பதை மூன்று வாக்கியங்களில் விளக்குங்கள்.'],
  ['Amharic', 'የመረጃ ቋት ኢንዴክሶች እንዴት እንደሚሠሩ በሦስት ዓረፍተ ነገሮች ያብራሩ።'],
  ['Georgian', 'აუხსენით სამ წინადადებაში, როგორ მუშაობს მონაცემთა ბაზის ინდექსები.'],
  ['emoji', '😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗☺️😚😙🥲😋😛😜🤪😝🤑🤗🤭'],
  ['emoji sequences', '👨‍👩‍👧‍👦👩‍❤️‍💋‍👨🏳️‍🌈🧑🏽‍💻👩🏿‍🚀🫱🏼‍🫲🏿'],
  ['mixed', 'Order #12345: 3× 咖啡 (coffee) ☕ at €4.50 each — total €13.50 ✅ Danke schön! Привет 👋'],
  ['math', '∀ε>0 ∃δ>0: |x−a|<δ ⇒ |f(x)−f(a)|<ε; ∑ᵢ₌₁ⁿ i² = n(n+1)(2n+1)/6; ∫₀^∞ e^{−x²} dx = √π/2'],
];

/** The request fields besides the messages a test may set. */
type RequestExtras = {
  model?: string;
  params?: MessageInitShape<typeof common.GenerationParamsSchema>;
  context?: MessageInitShape<typeof common.CallerContextSchema>;
  routing?: MessageInitShape<typeof router.RoutingOptionsSchema>;
};

const SYSTEM = 'You are a helpful assistant. Answer in the language of the question.';

function request(text: string, extra: RequestExtras = {}): router.GenerateRequest {
  return create(router.GenerateRequestSchema, {
    messages: [
      { role: common.Role.SYSTEM, parts: [{ kind: { case: 'text', value: SYSTEM } }] },
      { role: common.Role.USER, parts: [{ kind: { case: 'text', value: text } }] },
    ],
    ...extra,
  });
}

/** Prompt tokens exactly as the fake OpenAI upstream bills them (cl100k, OpenAI's cookbook framing). */
function openAiPromptTokens(messages: Array<{ role: string; text: string }>, tools: unknown[] = []): number {
  let total = 3;
  for (const m of messages) total += 3 + countTokens(m.role) + countTokens(m.text);
  if (tools.length > 0) total += countTokens(JSON.stringify(tools)) + 8;
  return total;
}

/** The same framing with o200k (gpt-4o and later). */
function o200kPromptTokens(messages: Array<{ role: string; text: string }>): number {
  return messages.reduce((sum, m) => sum + 3 + o200k.encode(m.role).length + o200k.encode(m.text).length, 3);
}

const read = (r: router.GenerateRequest) => readPrompt(r, { maxClassifierChars: 1024, streaming: false });

describe('prompt token estimates', () => {
  it.each(PROMPTS)('bounds the billed prompt tokens of %s text (cl100k as the fake upstream counts, and o200k)', (_script, sample) => {
    const text = Array.from({ length: REPEAT }, () => sample).join('\n');
    const reading = read(request(text));
    const framed = [
      { role: 'system', text: SYSTEM },
      { role: 'user', text },
    ];
    expect(reading.maxInputTokens).toBeGreaterThanOrEqual(openAiPromptTokens(framed));
    expect(reading.maxInputTokens).toBeGreaterThanOrEqual(o200kPromptTokens(framed));
    expect(reading.maxInputTokens).toBeGreaterThanOrEqual(reading.estimatedInputTokens);
  });

  it('bounds tool definitions, tool calls and structured-output schemas too', () => {
    const parameters = { type: 'object', properties: { city: { type: 'string', description: '城市名称（中文）' }, days: { type: 'integer', minimum: 1, maximum: 14 } }, required: ['city'] };
    const tools = [{ type: 'function', function: { name: 'weather_forecast', description: '查询某个城市未来几天的天气预报', parameters } }];
    const r = request('北京明天的天气怎么样？'.repeat(5), {
      params: {
        tools: [{ name: 'weather_forecast', description: '查询某个城市未来几天的天气预报', parametersSchema: parameters }],
        responseFormat: { type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'answer', jsonSchema: parameters },
      },
    });
    r.messages.push(create(common.ChatMessageSchema, { role: common.Role.ASSISTANT, toolCalls: [{ id: 'call_1', name: 'weather_forecast', argumentsJson: '{"city":"北京","days":3}' }] }));
    r.messages.push(create(common.ChatMessageSchema, { role: common.Role.TOOL, toolCallId: 'call_1', parts: [{ kind: { case: 'text', value: '{"北京":["晴","多云","小雨"]}' } }] }));
    const billed =
      openAiPromptTokens(
        [
          { role: 'system', text: SYSTEM },
          { role: 'user', text: '北京明天的天气怎么样？'.repeat(5) },
          { role: 'assistant', text: '{"city":"北京","days":3}weather_forecastcall_1' },
          { role: 'tool', text: '{"北京":["晴","多云","小雨"]}call_1' },
        ],
        tools,
      ) + countTokens(JSON.stringify(parameters));
    expect(read(r).maxInputTokens).toBeGreaterThanOrEqual(billed);
  });

  it('keeps the typical estimate near the real count for Latin and CJK text, so context-window checks stay fair', () => {
    const english = 'The quarterly report covers revenue, costs, hiring and the product roadmap for the next two quarters. '.repeat(1000);
    const chinese = '请用三句话解释数据库索引的工作原理，以及它们为什么能让查询更快。'.repeat(300);
    for (const text of [english, chinese]) {
      const real = countTokens(text);
      const { estimatedInputTokens } = read(request(text));
      expect(estimatedInputTokens / real).toBeGreaterThan(0.8);
      expect(estimatedInputTokens / real).toBeLessThan(1.6);
    }
  });

  it('adds the largest image a catalog provider bills to the bound', () => {
    const withImage = request('What is in this picture?');
    withImage.messages[1]!.parts.push(create(common.ContentPartSchema, { kind: { case: 'image', value: { source: { case: 'url', value: 'https://example.com/a.png' }, detail: 'high' } } }));
    const reading = read(withImage);
    expect(reading.maxInputTokens - read(request('What is in this picture?')).maxInputTokens).toBeGreaterThanOrEqual(3778); // gpt-4.1-nano: 1536 patches × 2.46
    expect(reading.needs.vision).toBe(true);
  });
});
