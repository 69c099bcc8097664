/**
 * Synthetic review titles and comments in Portuguese, assembled from short phrases by score, with
 * the shapes the real file has: commas, an occasional double quote, line breaks (CRLF) inside the
 * message, numeric-looking titles such as "10". Written for this project, not taken from the data.
 */
import { REVIEW_TEXT } from './calibration.ts';
import type { Random } from './random.ts';

const GOOD = [
  'Recebi bem antes do prazo', 'Produto excelente', 'Chegou tudo certo', 'Muito bom, recomendo',
  'Entrega rápida e produto de qualidade', 'Gostei muito do produto', 'Ótimo atendimento',
  'Produto conforme o anúncio', 'Superou minhas expectativas', 'Tudo perfeito, obrigado',
  'Bem embalado e chegou no prazo', 'Comprarei novamente', 'Lojista muito atencioso', 'Ótimo custo benefício',
];
const MIXED = [
  'O produto é bom mas a entrega atrasou', 'Chegou no prazo, porém a embalagem estava amassada',
  'Produto ok', 'Razoável pelo preço', 'A cor é diferente da foto', 'Esperava um pouco mais',
  'Veio sem manual, mas funciona', 'Demorou, mas chegou',
];
const BAD = [
  'Não recebi o produto', 'Produto veio com defeito', 'Ainda aguardo a entrega', 'Péssimo atendimento',
  'Comprei dois e só veio um', 'Produto diferente do anunciado', 'Não recomendo', 'Quero meu dinheiro de volta',
  'Entrega muito atrasada', 'Ninguém responde minhas mensagens', 'Veio quebrado',
];
const TITLES_GOOD = ['Recomendo', 'Ótimo', 'Excelente', 'Muito bom', 'Super recomendo', '10', 'Perfeito', 'Amei'];
const TITLES_MIXED = ['Bom', 'Razoável', 'Mais ou menos', 'Ok'];
const TITLES_BAD = ['Péssimo', 'Não recebi', 'Decepcionado', 'Não recomendo', 'Horrível'];
const QUOTED = ['"original"', '"novo"', '"lacrado"', '"entregue"'];

/** Message presence by score 1..5, tuned so the overall share matches REVIEW_TEXT.messageShare. */
const MESSAGE_BY_SCORE = [0.78, 0.68, 0.47, 0.31, 0.36];
const TITLE_BY_SCORE = [0.16, 0.14, 0.12, 0.1, 0.115];

function bank(score: number): readonly string[] {
  return score >= 4 ? GOOD : score === 3 ? MIXED : BAD;
}

export function reviewTitle(rng: Random, score: number): string | null {
  if (!rng.chance(TITLE_BY_SCORE[score - 1]!)) return null;
  return rng.pick(score >= 4 ? TITLES_GOOD : score === 3 ? TITLES_MIXED : TITLES_BAD);
}

export function reviewMessage(rng: Random, score: number): string | null {
  if (!rng.chance(MESSAGE_BY_SCORE[score - 1]!)) return null;
  const phrases = bank(score);
  const n = 1 + (rng.chance(0.45) ? 1 : 0) + (rng.chance(0.15) ? 1 : 0);
  let s = rng.pick(phrases);
  // Only messages of several phrases can break lines: about half of them.
  const multiline = rng.chance(REVIEW_TEXT.lineBreakShare / 0.53);
  for (let i = 1; i < n; i++) {
    const next = rng.pick(phrases);
    s += multiline ? '.\r\n' + next : rng.chance(0.45) ? ', ' + next.charAt(0).toLowerCase() + next.slice(1) : '. ' + next;
  }
  if (rng.chance(REVIEW_TEXT.quoteShare)) s += ', veio ' + rng.pick(QUOTED);
  return rng.chance(0.7) ? s + '.' : s;
}
