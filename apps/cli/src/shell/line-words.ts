// Splits a shell line into arguments the way sh does for the common cases: words are separated
// by blanks; '...' keeps everything literally; "..." keeps blanks and takes \" and \\; outside
// quotes a backslash keeps the next character. So `put default greeting "hello world"` is four
// arguments, as it is on the command line.
import { UsageError } from '../exit-codes';

export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += char;
    } else if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (char === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote) throw new UsageError(`unterminated ${quote} quote in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}
