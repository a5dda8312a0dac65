{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partitioned_by=['ride_date'],
) }}

select
    vendor,
    count(*) as rides,
    sum(fare) as revenue,
    ride_date
from {{ ref('rides_enriched') }}
{% if is_incremental() %}
where ride_date >= date '2024-01-03'
{% endif %}
group by vendor, ride_date
