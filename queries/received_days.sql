-- received_days: the days each province's daily extracts arrived with data.
--
-- Grain: one row per extract type (sales, revenue, service) × province × file day (dt) that
--   holds at least one stored row, between start and end, for the scope. A day whose accepted
--   file had no rows is not seen here (it has no row to scan); the caller adds such days from
--   the lake listing (computeKpis' storedPartitions).
--
-- Parameters, bound in order ('YYYY-MM-DD' strings; scope is 'ALL' or a province code):
--    1 start   2 end   3 scope   4 scope     sales
--    5 start   6 end   7 scope   8 scope     revenue
--    9 start  10 end  11 scope  12 scope     service

with

sales_days as (
    select distinct
        cast('sales' as varchar) as type,
        province,
        dt
    from sales
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
),

revenue_days as (
    select distinct
        cast('revenue' as varchar) as type,
        province,
        dt
    from revenue
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
),

service_days as (
    select distinct
        cast('service' as varchar) as type,
        province,
        dt
    from service
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
),

final as (
    select type, province, dt from sales_days
    union all
    select type, province, dt from revenue_days
    union all
    select type, province, dt from service_days
)

select * from final
