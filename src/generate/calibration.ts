/**
 * Figures measured on the real Kaggle files (/work/shared/data/olist, README sha256 prefixes
 * 983a4222..., 8df58ef3..., etc.) that drive the generator. Every figure was obtained with
 * `npx tsx src/generate/measure.ts` (the same reader as our ingest: csv-parse with
 * `{ bom: true, relax_quotes: true, columns: false }`) or a one-off variant of it; the comment on
 * each constant says what was counted. Counts are for the whole real file (scale 1); the generator
 * scales them. These are aggregate statistics, not data: no real row is reproduced here.
 */

/** Row counts of the real files (README table, confirmed by measure.ts). */
export const REAL_VOLUMES = {
  orders: 99_441,
  customerUnique: 96_096,
  items: 112_650,
  payments: 103_886,
  reviews: 99_224,
  products: 32_951,
  sellers: 3_095,
  geolocation: 1_000_163,
  geolocationZips: 19_015,
} as const;

/** Catalog sizes grow as scale^CATALOG_EXPONENT (sub-linear; transactional volumes grow linearly). */
export const CATALOG_EXPONENT = 0.5;

/** order_status counts (orders file). */
export const STATUS_COUNTS: Readonly<Record<string, number>> = {
  delivered: 96_478, shipped: 1_107, canceled: 625, unavailable: 609, invoiced: 314, processing: 301, created: 5, approved: 2,
};

/** Orders without any item, by status (orders left-anti-joined with items): 775 in all. */
export const NO_ITEMS_BY_STATUS: Readonly<Record<string, number>> = {
  unavailable: 603, canceled: 164, created: 5, shipped: 1, invoiced: 2,
};

/** Items per order, over orders that have items (count of order_item_id per order_id). */
export const ITEMS_PER_ORDER: Readonly<Record<string, number>> = {
  1: 88_863, 2: 7_516, 3: 1_322, 4: 505, 5: 204, 6: 198, 7: 22, 8: 8, 9: 3, 10: 8, 11: 4, 12: 5, 13: 1, 14: 2, 15: 2, 20: 2, 21: 1,
};

/** Payment rows per order (0: orders absent from the payments file). */
export const PAYMENTS_PER_ORDER: Readonly<Record<string, number>> = {
  0: 1, 1: 96_479, 2: 2_382, 3: 301, 4: 108, 5: 52, 6: 36, 7: 28, 8: 11, 9: 9, 10: 5, 11: 8, 12: 8, 13: 3, 14: 2, 15: 2, 19: 2, 21: 1, 22: 1, 26: 1, 29: 1,
};

/** Review rows per order (0: orders without review). */
export const REVIEWS_PER_ORDER: Readonly<Record<string, number>> = { 0: 768, 1: 98_126, 2: 543, 3: 4 };

/**
 * Duplicate review ids: 764 ids cover 2 orders, 25 cover 3. In all 789 groups the orders belong to the
 * same customer_unique_id, carry the same score, text and dates, and 744 were bought within the same
 * hour: one survey for several orders placed together. The generator models them as "twin" orders.
 */
export const REVIEW_ID_GROUPS = { pairs: 764, triples: 25 } as const;

/**
 * Purchases per month (order_purchase_timestamp). Few in 2016 (none in Nov 2016), growth through
 * 2017, a tail of cancelled orders in Sep/Oct 2018. First purchase 2016-09-04 21:15:19, last 2018-10-17 17:30:18.
 */
export const PURCHASE_MONTHS: Readonly<Record<string, number>> = {
  '2016-09': 4, '2016-10': 324, '2016-11': 0, '2016-12': 1,
  '2017-01': 800, '2017-02': 1_780, '2017-03': 2_682, '2017-04': 2_404, '2017-05': 3_700, '2017-06': 3_245,
  '2017-07': 4_026, '2017-08': 4_331, '2017-09': 4_285, '2017-10': 4_631, '2017-11': 7_544, '2017-12': 5_673,
  '2018-01': 7_269, '2018-02': 6_728, '2018-03': 7_211, '2018-04': 6_939, '2018-05': 6_873, '2018-06': 6_167,
  '2018-07': 6_292, '2018-08': 6_512, '2018-09': 16, '2018-10': 4,
};
export const PURCHASE_FIRST = '2016-09-04 21:15:19';
export const PURCHASE_LAST = '2018-10-17 17:30:18';

/**
 * Busiest days: 2017-11-24 (Black Friday) 1,176 orders, then 499, 391, 403, 380 on the 25th-28th;
 * the other 25 days of November 2017 average 188: multipliers relative to an ordinary day of the
 * month (the month keeps its real total).
 */
export const SPECIAL_DAYS: Readonly<Record<string, number>> = {
  '2017-11-24': 6.3, '2017-11-25': 2.65, '2017-11-26': 2.1, '2017-11-27': 2.15, '2017-11-28': 2.0,
};

/** Share of purchases by day of week, 0 = Sunday (Monday busiest, Saturday quietest). */
export const PURCHASE_DOW = [0.1203, 0.1629, 0.1605, 0.1564, 0.1484, 0.142, 0.1095] as const;

/** Share of purchases by hour of day (few at night, plateau 10h-22h). */
export const PURCHASE_HOUR = [
  0.0241, 0.0118, 0.0051, 0.0027, 0.0021, 0.0019, 0.005, 0.0124, 0.0298, 0.0481, 0.0621, 0.0661,
  0.0603, 0.0655, 0.0661, 0.0649, 0.0671, 0.0618, 0.058, 0.0602, 0.0623, 0.0625, 0.0585, 0.0415,
] as const;

/** Customer state shares (customers file, 99,441 rows). */
export const CUSTOMER_STATES: Readonly<Record<string, number>> = {
  SP: 0.4198, RJ: 0.1292, MG: 0.117, RS: 0.055, PR: 0.0507, SC: 0.0366, BA: 0.034, DF: 0.0215, ES: 0.0204,
  GO: 0.0203, PE: 0.0166, CE: 0.0134, PA: 0.0098, MT: 0.0091, MA: 0.0075, MS: 0.0072, PB: 0.0054, PI: 0.005,
  RN: 0.0049, AL: 0.0042, SE: 0.0035, TO: 0.0028, RO: 0.0025, AM: 0.0015, AC: 0.0008, AP: 0.0007, RR: 0.0005,
};

/** Seller state shares (sellers file, 3,095 rows). */
export const SELLER_STATES: Readonly<Record<string, number>> = {
  SP: 0.5974, PR: 0.1128, MG: 0.0788, SC: 0.0614, RJ: 0.0553, RS: 0.0417, GO: 0.0129, DF: 0.0097, ES: 0.0074,
  BA: 0.0061, CE: 0.0042, PE: 0.0029, PB: 0.0019, RN: 0.0016, MS: 0.0016, MT: 0.0013, RO: 0.0006, SE: 0.0006,
  AC: 0.0003, PI: 0.0003, MA: 0.0003, AM: 0.0003, PA: 0.0003,
};

/**
 * Per customer state, over delivered orders with a delivered date: mean days purchase->delivered,
 * mean days purchase->estimated, share delivered after the estimated day. Overall 12.56 days, 23.77
 * days and 6.8% late (12.0% in North/North-East, 6.1% elsewhere).
 */
export const STATE_DELIVERY: Readonly<Record<string, readonly [number, number, number]>> = {
  SP: [8.8, 19.1, 0.045], RJ: [15.3, 26.4, 0.121], MG: [12.0, 24.5, 0.046], RS: [15.3, 28.5, 0.061],
  PR: [12.0, 24.6, 0.04], SC: [15.0, 25.8, 0.082], BA: [19.3, 29.4, 0.122], DF: [13.0, 24.3, 0.057],
  ES: [15.8, 25.6, 0.107], GO: [15.6, 27.1, 0.065], PE: [18.4, 31.1, 0.096], CE: [21.3, 31.4, 0.138],
  PA: [23.8, 37.2, 0.112], MT: [18.1, 31.7, 0.06], MA: [21.6, 30.5, 0.174], MS: [15.6, 26.0, 0.097],
  PB: [20.4, 33.0, 0.104], PI: [19.5, 30.1, 0.139], RN: [19.3, 32.2, 0.093], AL: [24.5, 32.6, 0.214],
  SE: [21.5, 30.8, 0.152], TO: [17.7, 29.1, 0.099], RO: [19.4, 38.8, 0.029], AM: [26.4, 45.3, 0.028],
  AC: [21.0, 41.1, 0.037], AP: [27.2, 46.2, 0.03], RR: [29.4, 46.0, 0.122],
};

/** Delivery time quantiles (days, delivered orders): q10 4.16, q25 6.77, median 10.22, q75 15.72, q90 23.1, q99 46.05, max 209.6. */
export const DELIVERY_DAYS = { mean: 12.56, median: 10.22, q90: 23.1, q99: 46.05, max: 209.63 } as const;

/** Purchase->approval hours: q10 0.17, q25 0.22, median 0.34, q75 14.6, q90 34.7, q99 90.2; mean 10.4. */
export const APPROVAL_HOURS = { median: 0.34, q75: 14.58, q90: 34.66, q99: 90.17 } as const;

/** Purchase->carrier days: q10 0.73, q25 1.13, median 2.2, q75 4.07, q90 6.41, q99 17.8; mean 3.23. 29% of carrier times end in ':00'. */
export const CARRIER_DAYS = { median: 2.2, q90: 6.41, q99: 17.82, wholeMinuteShare: 0.29 } as const;

/** shipping_limit_date - approval (days): q10 3.99, median 6.0, q90 9.0 (whole days after approval). */
export const SHIPPING_LIMIT_DAYS: Readonly<Record<string, number>> = { 2: 0.02, 3: 0.06, 4: 0.12, 5: 0.18, 6: 0.24, 7: 0.16, 8: 0.1, 9: 0.07, 13: 0.03, 18: 0.02 };

/** Item price: mean 120.65, q05 17, q25 39.9, median 74.99, q75 134.9, q95 349.9, q99 890, max 6735. */
export const PRICE = { median: 75, sigma: 0.97, min: 0.85, max: 6735 } as const;
/** Cents of prices: .90 35.6%, .00 29.1%, .99 18.2%, .50 2.3%, other endings spread. */
export const PRICE_CENTS: Readonly<Record<string, number>> = { 90: 0.356, '00': 0.291, 99: 0.182, 50: 0.023, 80: 0.014, 49: 0.012, 89: 0.008, other: 0.114 };
/** Freight per item: mean 19.99, q05 7.78, q25 13.08, median 16.26, q75 21.15, q95 45.12, q99 84.5, max 409.7; 383 items (0.34%) with 0. */
export const FREIGHT = { median: 16.26, mean: 19.99, zeroShare: 383 / 112_650 } as const;

/** Multi-item orders (9,803): 67% repeat one product, 87% have a single seller. */
export const MULTI_ITEM = { sameProductAsPrevious: 0.72, sameSellerForNewProduct: 0.55 } as const;

/**
 * Single-payment orders by type (payment combinations per order): credit_card 74,259 orders,
 * boleto 19,784, debit_card 1,527, voucher-only 1,621 (of which ~715 with several vouchers),
 * not_defined 3; multi-payment orders are credit_card+voucher (2,245) or vouchers only.
 */
export const SINGLE_PAYMENT_TYPES: Readonly<Record<string, number>> = {
  credit_card: 0.7696, boleto: 0.2051, debit_card: 0.0158, voucher: 0.0094, not_defined: 0.00003,
};
export const MULTI_PAYMENT_CARD_SHARE = 0.76;

/** Credit card installments (rows): 33% one installment, mean 3.5, max 24, two rows with 0. */
export const CARD_INSTALLMENTS: Readonly<Record<string, number>> = {
  0: 2, 1: 25_455, 2: 12_413, 3: 10_461, 4: 7_098, 5: 5_239, 6: 3_920, 7: 1_626, 8: 4_268, 9: 644, 10: 5_328,
  11: 23, 12: 133, 13: 16, 14: 15, 15: 74, 16: 5, 17: 8, 18: 27, 20: 17, 21: 3, 22: 1, 23: 1, 24: 18,
};

/** Orders whose payments sum to items+freight within 1 cent: 99.69% (others mostly card interest). */
export const PAYMENT_MATCH_SHARE = 0.9969;

/**
 * Review score shares by class of order: delivered on time (89,944 reviews), delivered late (6,409),
 * not delivered (2,871). Overall 5: 57.8%, 4: 19.3%, 3: 8.2%, 2: 3.2%, 1: 11.5%; mean score 4.29 on
 * time and 2.27 late.
 */
export const SCORES: Readonly<Record<'onTime' | 'late' | 'notDelivered', readonly number[]>> = {
  // index 0 = score 1 ... index 4 = score 5
  onTime: [0.066, 0.027, 0.081, 0.204, 0.623],
  late: [0.537, 0.087, 0.109, 0.102, 0.165],
  notDelivered: [0.703, 0.073, 0.076, 0.054, 0.094],
};

/**
 * Review text: 11.7% of reviews have a title, 41.3% a message; of the messages 35% contain a comma,
 * 9.4% a line break, 0.4% a double quote; message length median 53 characters (max 208).
 * review_creation_date is the midnight after delivery (median +0.17 day; q01 -2.8 days), or about two
 * days after the estimated date for orders not delivered; the answer comes a median 1.7 days later
 * (q90 4.9, q99 22 days).
 */
export const REVIEW_TEXT = { titleShare: 0.117, messageShare: 0.413, lineBreakShare: 0.094, quoteShare: 0.004 } as const;
export const REVIEW_ANSWER_DAYS = { median: 1.6, sigma: 0.6, slowShare: 0.05, slowMedian: 12 } as const;
/**
 * Shared copy only (see the data README): 21 reviews without review_creation_date and 67 without
 * review_answer_timestamp; reproduced at that rate so loaders meet them.
 */
export const REVIEW_MISSING_DATES = { creation: 21 / 99_224, answer: 67 / 99_224 } as const;

/**
 * Order date traps (orders file): 160 orders without approval (canceled 141, delivered 14, created 5);
 * 1,783 without carrier date (all non-shipped open statuses, 550 of 625 canceled, 2 delivered);
 * 8 delivered orders without delivered date; 6 canceled orders with a delivered date;
 * 1,359 orders whose carrier date precedes approval (166 even precede purchase).
 */
export const ORDER_TRAPS = {
  deliveredMissingApproved: 14 / 96_478,
  deliveredMissingCarrier: 2 / 96_478,
  deliveredMissingDelivered: 8 / 96_478,
  canceledMissingApproved: 141 / 625,
  canceledWithCarrier: 75 / 625,
  canceledWithDelivered: 6 / 625,
  carrierBeforeApproval: 1_359 / 98_378,
} as const;

/** Products: 610 of 32,951 (1.85%) without category (and without name/description/photos), 2 without dimensions. */
export const PRODUCT_TRAPS = { noCategory: 610 / 32_951, noDimensions: 2 / 32_951 } as const;

/**
 * Product attributes (products file): name length q10 32 / median 51 / q90 59 (max 76); description
 * length q10 207 / median 595 / q90 1577 (max 3992); photos median 1, q90 5, max 20; weight g q10 175 /
 * median 700 / q90 6300; length cm median 25 (7..105), height 13 (2..105), width 20 (6..118).
 */
export const PRODUCT_ATTRS = {
  nameLength: { median: 51, sigma: 0.22, min: 5, max: 76 },
  descriptionLength: { median: 595, sigma: 0.8, min: 4, max: 3992 },
  photos: { 1: 0.5, 2: 0.19, 3: 0.11, 4: 0.08, 5: 0.05, 6: 0.04, 7: 0.02, 8: 0.01 } as Record<string, number>,
  weight: { median: 700, sigma: 1.5, min: 50, max: 40_425 },
  length: { median: 25, sigma: 0.5, min: 7, max: 105 },
  height: { median: 13, sigma: 0.7, min: 2, max: 105 },
  width: { median: 20, sigma: 0.5, min: 6, max: 118 },
} as const;

/**
 * Category shares among products with a category (73 categories; pc_gamer and
 * portateis_cozinha_e_preparadores_de_alimentos have no English translation).
 */
export const CATEGORY_SHARES: Readonly<Record<string, number>> = {
  cama_mesa_banho: 0.0937, esporte_lazer: 0.0886, moveis_decoracao: 0.0822, beleza_saude: 0.0756,
  utilidades_domesticas: 0.0722, automotivo: 0.0587, informatica_acessorios: 0.0507, brinquedos: 0.0436,
  relogios_presentes: 0.0411, telefonia: 0.0351, bebes: 0.0284, perfumaria: 0.0268, papelaria: 0.0263,
  fashion_bolsas_e_acessorios: 0.0263, cool_stuff: 0.0244, ferramentas_jardim: 0.0233, pet_shop: 0.0222,
  eletronicos: 0.016, construcao_ferramentas_construcao: 0.0124, eletrodomesticos: 0.0114,
  malas_acessorios: 0.0108, consoles_games: 0.0098, moveis_escritorio: 0.0096, instrumentos_musicais: 0.0089,
  eletroportateis: 0.0071, casa_construcao: 0.007, livros_interesse_geral: 0.0067, fashion_calcados: 0.0053,
  moveis_sala: 0.0048, climatizacao: 0.0038, livros_tecnicos: 0.0038, telefonia_fixa: 0.0036,
  casa_conforto: 0.0034, market_place: 0.0032, alimentos_bebidas: 0.0032, fashion_roupa_masculina: 0.0029,
  moveis_cozinha_area_de_servico_jantar_e_jardim: 0.0029, sinalizacao_e_seguranca: 0.0029,
  construcao_ferramentas_seguranca: 0.0028, eletrodomesticos_2: 0.0028, construcao_ferramentas_jardim: 0.0027,
  alimentos: 0.0025, bebidas: 0.0025, construcao_ferramentas_iluminacao: 0.0024, agro_industria_e_comercio: 0.0023,
  industria_comercio_e_negocios: 0.0021, artigos_de_natal: 0.002, audio: 0.0018, artes: 0.0017,
  fashion_underwear_e_moda_praia: 0.0016, dvds_blu_ray: 0.0015, moveis_quarto: 0.0014,
  construcao_ferramentas_ferramentas: 0.0012, livros_importados: 0.001, portateis_casa_forno_e_cafe: 0.001,
  pcs: 0.0009, cine_foto: 0.0009, fashion_roupa_feminina: 0.0008, musica: 0.0008, artigos_de_festas: 0.0008,
  fashion_esporte: 0.0006, artes_e_artesanato: 0.0006, flores: 0.0004, fraldas_higiene: 0.0004,
  la_cuisine: 0.0003, portateis_cozinha_e_preparadores_de_alimentos: 0.0003, moveis_colchao_e_estofado: 0.0003,
  tablets_impressao_imagem: 0.0003, fashion_roupa_infanto_juvenil: 0.0002, casa_conforto_2: 0.0002,
  pc_gamer: 0.0001, seguros_e_servicos: 0.0001, cds_dvds_musicais: 0.00003,
};
/** Categories of CATEGORY_SHARES absent from the translation file. */
export const UNTRANSLATED_CATEGORIES = ['pc_gamer', 'portateis_cozinha_e_preparadores_de_alimentos'] as const;

/**
 * Geolocation (1,000,163 rows over 19,015 zip prefixes): rows per prefix mean 52.6, q10 3, median 29,
 * q90 124, q99 353, max 1,146; 280,009 rows (28%) repeat an earlier (zip, lat, lng) exactly; 42 rows
 * lie outside Brazil (Portugal, Spain, Italy, Argentina... places with the same name); 8,556 prefixes
 * (45%) carry more than one city spelling (mostly 'sao paulo' / 'são paulo'; 7.7% of rows have
 * accents or punctuation; two rows spelled 'city, state, brasil'); points of one prefix lie within ~0.005 degree.
 * 157 customer zip prefixes (278 customer rows) and 7 seller prefixes are missing from it.
 */
export const GEO = {
  rowsPerZipMedian: 29,
  rowsPerZipSigma: 1.1,
  rowsPerZipMax: 1_146,
  exactDuplicateShare: 280_009 / 1_000_163,
  outsideBrazilPerRow: 42 / 1_000_163,
  accentedRowShare: 0.25,
  longFormPerRow: 2e-6,
  withinZipSd: 0.006,
  customerRowsZipMissing: 278 / 99_441,
  customerZipsMissing: 157,
  sellerZipsMissing: 7 / 3_095,
} as const;

/**
 * Zip prefixes in geolocation per state, and where their points lie: q05, median and q95 of the
 * latitude and longitude of the per-prefix centroids (the median is about the capital).
 */
export const STATE_GEO: Readonly<Record<string, { zips: number; lat: readonly [number, number, number]; lng: readonly [number, number, number] }>> = {
  SP: { zips: 6349, lat: [-23.73, -23.53, -21.15], lng: [-49.96, -46.68, -46.22] },
  MG: { zips: 1868, lat: [-22.00, -19.90, -16.37], lng: [-47.94, -44.00, -41.68] },
  RJ: { zips: 1390, lat: [-22.97, -22.78, -21.77], lng: [-44.22, -43.29, -41.78] },
  RS: { zips: 1131, lat: [-31.67, -29.67, -27.61], lng: [-54.75, -51.71, -50.90] },
  PR: { zips: 1046, lat: [-25.98, -24.96, -23.07], lng: [-53.85, -51.24, -49.16] },
  BA: { zips: 992, lat: [-16.09, -12.93, -10.34], lng: [-43.17, -38.99, -38.30] },
  GO: { zips: 773, lat: [-18.26, -16.67, -14.49], lng: [-51.26, -49.26, -47.64] },
  SC: { zips: 619, lat: [-28.70, -27.07, -26.27], lng: [-53.09, -49.35, -48.55] },
  PE: { zips: 596, lat: [-9.18, -8.09, -7.72], lng: [-40.49, -35.04, -34.86] },
  CE: { zips: 548, lat: [-7.24, -3.84, -3.52], lng: [-40.69, -38.68, -38.45] },
  DF: { zips: 515, lat: [-16.00, -15.81, -15.65], lng: [-48.13, -47.92, -47.80] },
  PB: { zips: 324, lat: [-7.64, -7.13, -6.52], lng: [-38.41, -35.90, -34.84] },
  ES: { zips: 315, lat: [-20.86, -20.30, -18.54], lng: [-41.54, -40.39, -39.87] },
  MA: { zips: 313, lat: [-6.74, -3.66, -2.09], lng: [-47.48, -44.45, -42.84] },
  PA: { zips: 309, lat: [-7.10, -1.51, -0.93], lng: [-54.75, -48.48, -47.18] },
  PI: { zips: 307, lat: [-9.34, -5.85, -2.93], lng: [-44.24, -42.58, -41.06] },
  RN: { zips: 279, lat: [-6.46, -5.86, -5.15], lng: [-38.18, -35.82, -35.20] },
  MT: { zips: 254, lat: [-16.48, -15.58, -10.19], lng: [-58.78, -56.04, -51.80] },
  MS: { zips: 242, lat: [-22.95, -20.55, -19.00], lng: [-57.64, -54.64, -51.70] },
  TO: { zips: 184, lat: [-12.62, -9.95, -5.77], lng: [-49.22, -48.32, -46.82] },
  AL: { zips: 178, lat: [-10.06, -9.61, -9.05], lng: [-37.61, -36.17, -35.53] },
  AM: { zips: 144, lat: [-7.05, -3.10, -2.57], lng: [-68.95, -60.02, -57.87] },
  SE: { zips: 135, lat: [-11.26, -10.89, -10.14], lng: [-37.76, -37.09, -36.86] },
  RO: { zips: 107, lat: [-12.75, -10.86, -8.75], lng: [-64.53, -62.37, -60.15] },
  AC: { zips: 43, lat: [-11.01, -9.96, -8.16], lng: [-72.67, -67.84, -67.54] },
  RR: { zips: 28, lat: [0.94, 2.82, 3.36], lng: [-61.15, -60.70, -59.83] },
  AP: { zips: 26, lat: [-0.91, 0.03, 2.05], lng: [-52.42, -51.16, -51.05] },
};
