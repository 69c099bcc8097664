/**
 * Brazilian geography the synthetic catalogs draw on: CEP prefix ranges per state (public Correios
 * allocation), a few real city names per state (first one is the capital) and foreign places used for
 * the "point outside Brazil" geocoding errors. General knowledge, not taken from the Olist files.
 */

/** Inclusive ranges of 5-digit CEP prefixes per state. */
export const CEP_RANGES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  SP: [[1000, 19999]], RJ: [[20000, 28999]], ES: [[29000, 29999]], MG: [[30000, 39999]],
  BA: [[40000, 48999]], SE: [[49000, 49999]], PE: [[50000, 56999]], AL: [[57000, 57999]],
  PB: [[58000, 58999]], RN: [[59000, 59999]], CE: [[60000, 63999]], PI: [[64000, 64999]],
  MA: [[65000, 65999]], PA: [[66000, 68899]], AP: [[68900, 68999]], AM: [[69000, 69299], [69400, 69899]],
  RR: [[69300, 69399]], AC: [[69900, 69999]], DF: [[70000, 72799], [73000, 73699]],
  GO: [[72800, 72999], [73700, 76799]], RO: [[76800, 76999]], TO: [[77000, 77999]], MT: [[78000, 78899]],
  MS: [[79000, 79999]], PR: [[80000, 87999]], SC: [[88000, 89999]], RS: [[90000, 99999]],
};

export const STATE_NAMES: Readonly<Record<string, string>> = {
  AC: 'acre', AL: 'alagoas', AM: 'amazonas', AP: 'amapá', BA: 'bahia', CE: 'ceará', DF: 'distrito federal',
  ES: 'espírito santo', GO: 'goiás', MA: 'maranhão', MG: 'minas gerais', MS: 'mato grosso do sul',
  MT: 'mato grosso', PA: 'pará', PB: 'paraíba', PE: 'pernambuco', PI: 'piauí', PR: 'paraná',
  RJ: 'rio de janeiro', RN: 'rio grande do norte', RO: 'rondônia', RR: 'roraima', RS: 'rio grande do sul',
  SC: 'santa catarina', SE: 'sergipe', SP: 'são paulo', TO: 'tocantins',
};

/** Cities per state with their proper spelling (accents); the capital first. */
export const CITIES: Readonly<Record<string, readonly string[]>> = {
  SP: ['são paulo', 'campinas', 'guarulhos', 'santo andré', 'são bernardo do campo', 'osasco', 'sorocaba',
    'ribeirão preto', 'são josé dos campos', 'santos', 'jundiaí', 'piracicaba', 'bauru', 'franca',
    'mogi das cruzes', 'são josé do rio preto', "santa bárbara d'oeste", 'taubaté', 'limeira', 'barueri',
    'carapicuíba', 'mogi-guaçu', 'araraquara', 'presidente prudente', 'marília', 'são carlos', 'indaiatuba'],
  RJ: ['rio de janeiro', 'niterói', 'são gonçalo', 'duque de caxias', 'nova iguaçu', 'petrópolis',
    'volta redonda', 'campos dos goytacazes', 'macaé', 'cabo frio', 'teresópolis', 'belford roxo'],
  MG: ['belo horizonte', 'contagem', 'uberlândia', 'juiz de fora', 'betim', 'montes claros', 'uberaba',
    'governador valadares', 'ipatinga', 'poços de caldas', 'divinópolis', 'sete lagoas', 'varginha'],
  RS: ['porto alegre', 'caxias do sul', 'canoas', 'pelotas', 'santa maria', 'novo hamburgo', 'gravataí',
    'passo fundo', 'são leopoldo', 'santa cruz do sul'],
  PR: ['curitiba', 'londrina', 'maringá', 'ponta grossa', 'cascavel', 'são josé dos pinhais',
    'foz do iguaçu', 'colombo', 'guarapuava'],
  SC: ['florianópolis', 'joinville', 'blumenau', 'são josé', 'itajaí', 'chapecó', 'criciúma',
    'balneário camboriú', 'jaraguá do sul'],
  BA: ['salvador', 'feira de santana', 'vitória da conquista', 'camaçari', 'itabuna', 'ilhéus',
    'lauro de freitas', 'juazeiro', 'campo alegre de lourdes'],
  DF: ['brasília', 'taguatinga', 'ceilândia', 'gama', 'sobradinho', 'guará'],
  ES: ['vitória', 'vila velha', 'serra', 'cariacica', 'cachoeiro de itapemirim', 'linhares', 'guarapari'],
  GO: ['goiânia', 'aparecida de goiânia', 'anápolis', 'rio verde', 'luziânia', 'catalão'],
  PE: ['recife', 'jaboatão dos guararapes', 'olinda', 'caruaru', 'petrolina', 'paulista', 'garanhuns'],
  CE: ['fortaleza', 'caucaia', 'juazeiro do norte', 'maracanaú', 'sobral', 'crato'],
  PA: ['belém', 'ananindeua', 'santarém', 'marabá', 'castanhal', 'parauapebas'],
  MT: ['cuiabá', 'várzea grande', 'rondonópolis', 'sinop', 'tangará da serra'],
  MA: ['são luís', 'imperatriz', 'timon', 'caxias', 'bacabal'],
  MS: ['campo grande', 'dourados', 'três lagoas', 'corumbá', 'ponta porã'],
  PB: ['joão pessoa', 'campina grande', 'santa rita', 'patos', 'bayeux'],
  PI: ['teresina', 'parnaíba', 'picos', 'floriano'],
  RN: ['natal', 'mossoró', 'parnamirim', 'caicó'],
  AL: ['maceió', 'arapiraca', 'rio largo', 'palmeira dos índios'],
  SE: ['aracaju', 'nossa senhora do socorro', 'lagarto', 'itabaiana'],
  TO: ['palmas', 'araguaína', 'gurupi', 'porto nacional'],
  RO: ['porto velho', 'ji-paraná', 'ariquemes', 'vilhena', 'cacoal'],
  AM: ['manaus', 'parintins', 'itacoatiara', 'manacapuru'],
  AC: ['rio branco', 'cruzeiro do sul', 'sena madureira'],
  AP: ['macapá', 'santana', 'laranjal do jari'],
  RR: ['boa vista', 'rorainópolis', 'caracaraí'],
};

/** Share of a state's zip prefixes that belong to its capital (the rest spread over the other cities). */
export const CAPITAL_ZIP_SHARE = 0.45;

/** Places abroad sharing a name with a Brazilian town: where wrong geocodes land (lat, lng). */
export const FOREIGN_POINTS: readonly (readonly [number, number])[] = [
  [41.61, -8.41], [38.38, -6.33], [43.68, -7.41], [-34.59, -58.73], [42.44, 13.82], [28.01, -15.54],
  [40.2, -8.42], [39.47, -0.38], [-32.89, -68.83], [45.46, 9.19],
];

/** Lower case without accents, as the customers and sellers files spell cities. */
export function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}
