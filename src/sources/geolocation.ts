import type { SourceSpec } from './types.ts';

export const geolocation: SourceSpec = {
  name: 'geolocation',
  fileName: 'olist_geolocation_dataset.csv',
  description: 'Coordinates observed for zip-code prefixes; many points per prefix, some duplicated, a few outside Brazil.',
  columns: [
    { name: 'geolocation_zip_code_prefix', type: 'zip_prefix', description: 'CEP prefix the point belongs to.' },
    { name: 'geolocation_lat', type: 'double', range: { min: -90, max: 90 }, description: 'Latitude (WGS84 degrees).' },
    { name: 'geolocation_lng', type: 'double', range: { min: -180, max: 180 }, description: 'Longitude (WGS84 degrees).' },
    { name: 'geolocation_city', type: 'text', description: 'City name as observed (spellings vary).' },
    { name: 'geolocation_state', type: 'state', description: 'Federative unit (UF).' },
  ],
  primaryKey: ['geolocation_zip_code_prefix', 'geolocation_lat', 'geolocation_lng'],
  primaryKeyUniqueInSource: false,
  feed: { kind: 'reference' },
  checks: [
    'expression(geolocation_lat between -33.75 and 5.27 and geolocation_lng between -73.99 and -34.79) severity=warn name=raw.geolocation.inside_brazil desc="Geolocation points lie inside Brazil (the points outside are dropped in staging)."',
  ],
  cleaningRules: [
    "Points outside Brazil's bounding box (lat -33.75..5.27, lng -73.99..-34.79) are dropped.",
    'The remaining points are reduced to one per prefix: the median latitude and longitude, the most frequent city and state.',
  ],
};
