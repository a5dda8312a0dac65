{{ config(materialized='view') }}

select vendor, count(*) as rides, sum(fare) as revenue
from {{ ref('rides_enriched') }}
group by vendor
