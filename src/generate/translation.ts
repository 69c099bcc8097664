/**
 * English names for the synthetic catalog's categories (used only when no reference translation
 * file is given). Plain translations of the snake_case Portuguese names; the two categories listed in
 * UNTRANSLATED_CATEGORIES are deliberately left out of the generated translation file.
 */
export const ENGLISH_CATEGORY: Readonly<Record<string, string>> = {
  cama_mesa_banho: 'bed_bath_table', esporte_lazer: 'sports_leisure', moveis_decoracao: 'furniture_decor',
  beleza_saude: 'health_beauty', utilidades_domesticas: 'housewares', automotivo: 'auto',
  informatica_acessorios: 'computers_accessories', brinquedos: 'toys', relogios_presentes: 'watches_gifts',
  telefonia: 'telephony', bebes: 'baby', perfumaria: 'perfumery', papelaria: 'stationery',
  fashion_bolsas_e_acessorios: 'fashion_bags_accessories', cool_stuff: 'cool_stuff',
  ferramentas_jardim: 'garden_tools', pet_shop: 'pet_shop', eletronicos: 'electronics',
  construcao_ferramentas_construcao: 'construction_tools_construction', eletrodomesticos: 'home_appliances',
  malas_acessorios: 'luggage_accessories', consoles_games: 'consoles_games', moveis_escritorio: 'office_furniture',
  instrumentos_musicais: 'musical_instruments', eletroportateis: 'small_appliances', casa_construcao: 'home_construction',
  livros_interesse_geral: 'books_general_interest', fashion_calcados: 'fashion_shoes', moveis_sala: 'furniture_living_room',
  climatizacao: 'air_conditioning', livros_tecnicos: 'books_technical', telefonia_fixa: 'fixed_telephony',
  casa_conforto: 'home_comfort', market_place: 'market_place', alimentos_bebidas: 'food_drink',
  fashion_roupa_masculina: 'fashion_male_clothing', moveis_cozinha_area_de_servico_jantar_e_jardim: 'kitchen_dining_laundry_garden_furniture',
  sinalizacao_e_seguranca: 'signaling_and_security', construcao_ferramentas_seguranca: 'construction_tools_safety',
  eletrodomesticos_2: 'home_appliances_2', construcao_ferramentas_jardim: 'construction_tools_garden', alimentos: 'food',
  bebidas: 'drinks', construcao_ferramentas_iluminacao: 'construction_tools_lights',
  agro_industria_e_comercio: 'agro_industry_and_commerce', industria_comercio_e_negocios: 'industry_commerce_and_business',
  artigos_de_natal: 'christmas_supplies', audio: 'audio', artes: 'art', fashion_underwear_e_moda_praia: 'fashion_underwear_beach',
  dvds_blu_ray: 'dvds_blu_ray', moveis_quarto: 'furniture_bedroom', construcao_ferramentas_ferramentas: 'construction_tools_tools',
  livros_importados: 'books_imported', portateis_casa_forno_e_cafe: 'small_appliances_home_oven_and_coffee', pcs: 'computers',
  cine_foto: 'cine_photo', fashion_roupa_feminina: 'fashion_female_clothing', musica: 'music', artigos_de_festas: 'party_supplies',
  fashion_esporte: 'fashion_sport', artes_e_artesanato: 'arts_and_craftmanship', flores: 'flowers', fraldas_higiene: 'diapers_and_hygiene',
  la_cuisine: 'la_cuisine', moveis_colchao_e_estofado: 'furniture_mattress_and_upholstery', tablets_impressao_imagem: 'tablets_printing_image',
  fashion_roupa_infanto_juvenil: 'fashion_childrens_clothes', casa_conforto_2: 'home_comfort_2', seguros_e_servicos: 'security_and_services',
  cds_dvds_musicais: 'cds_dvds_musicals',
};
