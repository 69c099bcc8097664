# Independent measurement of the known issues of the real Olist files (Python csv, not the project's
# parser or SQL): the expected counts of test/quality/real-data.test.ts. Run: python3 test/quality/measure-real-data.py [DIR] [--json]
import csv, collections, datetime as dt
import sys
args=[a for a in sys.argv[1:] if a != '--json']
D=(args[0] if args else '/work/shared/data/olist').rstrip('/') + '/'
def rows(f): 
    with open(D+f, newline='', encoding='utf-8-sig') as fh: return list(csv.DictReader(fh))
ts=lambda s: dt.datetime.strptime(s,'%Y-%m-%d %H:%M:%S') if s else None
orders=rows('olist_orders_dataset.csv')
r={}
r['delivered_without_date']=sum(1 for o in orders if o['order_status']=='delivered' and not o['order_delivered_customer_date'])
def cmp(a,b): return sum(1 for o in orders if o[a] and o[b] and ts(o[a])<ts(o[b]))
r['carrier_before_approval']=cmp('order_delivered_carrier_date','order_approved_at')
r['carrier_before_purchase']=cmp('order_delivered_carrier_date','order_purchase_timestamp')
r['delivered_before_carrier']=cmp('order_delivered_customer_date','order_delivered_carrier_date')
r['approved_before_purchase']=cmp('order_approved_at','order_purchase_timestamp')
r['delivered_before_purchase']=cmp('order_delivered_customer_date','order_purchase_timestamp')
products=rows('olist_products_dataset.csv'); tr={t['product_category_name'].strip() for t in rows('product_category_name_translation.csv')}
r['without_category']=sum(1 for p in products if not p['product_category_name'])
r['untranslated']=sum(1 for p in products if p['product_category_name'] and p['product_category_name'] not in tr)
geo=rows('olist_geolocation_dataset.csv')
keys=collections.Counter((g['geolocation_zip_code_prefix'],float(g['geolocation_lat']),float(g['geolocation_lng'])) for g in geo)
r['geo_dup_keys']=sum(1 for k,c in keys.items() if c>1)
inside=lambda g: -33.75<=float(g['geolocation_lat'])<=5.27 and -73.99<=float(g['geolocation_lng'])<=-34.79
r['geo_outside']=sum(1 for g in geo if not inside(g))
pref={g['geolocation_zip_code_prefix'] for g in geo if inside(g)}
r['customers_without_geo']=sum(1 for c in rows('olist_customers_dataset.csv') if c['customer_zip_code_prefix'] not in pref)
r['sellers_without_geo']=sum(1 for s in rows('olist_sellers_dataset.csv') if s['seller_zip_code_prefix'] not in pref)
items=rows('olist_order_items_dataset.csv'); pays=rows('olist_order_payments_dataset.csv')
from decimal import Decimal
it=collections.defaultdict(Decimal); pa=collections.defaultdict(Decimal)
for i in items: it[i['order_id']]+=Decimal(i['price'])+Decimal(i['freight_value'])
for p in pays: pa[p['order_id']]+=Decimal(p['payment_value'])
r['payment_mismatch']=sum(1 for k in it if k in pa and abs(it[k]-pa[k])>Decimal('0.01'))
r['without_payment']=sum(1 for o in orders if o['order_id'] not in pa)
r['sale_without_items']=sum(1 for o in orders if o['order_status'] not in ('canceled','unavailable') and o['order_id'] not in it)
purch={o['order_id']:ts(o['order_purchase_timestamp']) for o in orders}
r['shipping_far']=sum(1 for i in items if ts(i['shipping_limit_date'])> purch[i['order_id']].replace(year=purch[i['order_id']].year+1))
rev=rows('olist_order_reviews_dataset.csv')
# the one record the ingest quarantines in the real file (bare quote, line 81,468)
rev=[x for x in rev if x['review_id']!='45caf5a16ea1d8065dc12b1469454f66']
pairs=set((x['review_id'],x['order_id']) for x in rev)
r['review_pk_dups']=sum(1 for k,c in collections.Counter((x['review_id'],x['order_id']) for x in rev).items() if c>1)
per_order=collections.Counter(o for _,o in pairs); per_rev=collections.Counter(rv for rv,_ in pairs)
r['orders_several_reviews']=sum(1 for c in per_order.values() if c>1)
r['reviews_several_orders']=sum(1 for c in per_rev.values() if c>1)
r['review_no_creation']=sum(1 for x in rev if not x['review_creation_date'])
r['review_no_answer']=sum(1 for x in rev if not x['review_answer_timestamp'])
CHECKS = {
  'geo_dup_keys': 'raw.geolocation.primary_key', 'geo_outside': 'raw.geolocation.inside_brazil',
  'review_pk_dups': 'raw.order_reviews.primary_key',
  'delivered_without_date': 'stg_orders.delivered_without_date', 'carrier_before_approval': 'stg_orders.carrier_after_approval',
  'carrier_before_purchase': 'stg_orders.carrier_after_purchase', 'delivered_before_carrier': 'stg_orders.delivered_after_carrier',
  'approved_before_purchase': 'stg_orders.approved_after_purchase', 'delivered_before_purchase': 'stg_orders.delivered_after_purchase',
  'without_category': 'stg_products.without_category', 'untranslated': 'stg_products.category_untranslated',
  'orders_several_reviews': 'stg_order_reviews.orders_with_several_reviews', 'reviews_several_orders': 'stg_order_reviews.reviews_on_several_orders',
  'review_no_creation': 'stg_order_reviews.missing_date.review_creation_date', 'review_no_answer': 'stg_order_reviews.missing_date.review_answer_timestamp',
  'customers_without_geo': 'customers_dim.without_geolocation', 'sellers_without_geo': 'sellers_dim.without_geolocation',
  'payment_mismatch': 'order_fulfillment_fact.payments_match_items', 'without_payment': 'order_fulfillment_fact.without_payment',
  'sale_without_items': 'order_fulfillment_fact.sale_without_items', 'shipping_far': 'orders_fact.shipping_limit_far_future',
}
if '--json' in sys.argv:
    import json
    print(json.dumps({CHECKS[k]: v for k, v in r.items()}))
else:
    for k,v in r.items(): print(k, v)
