-- market_share: each operator's share of a province's market for a product, in one month.
--
-- Grain: one row per province × product × operator present in the month, for the scope.
--   Shares are within the province × product market of that month; growth compares the same
--   operator, province and product with the previous month (null when it had no row there or 0).
--
-- Parameters, bound in order ('YYYY-MM' strings; scope is 'ALL' or a province code):
--   1 month   2 scope   3 scope   4 previous month   5 scope   6 scope
--
-- Athena binds ? only inside a WHERE clause (SELECT ? is not supported), so each month is a
-- select of its own rather than a CASE on a parameter in the select list.

with

market_rows as (
    select
        'cur' as period,
        month,
        province,
        product,
        operator,
        revenue,
        users
    from market
    where month = ?
        and (? = 'ALL' or province = ?)

    union all

    select
        'prev' as period,
        month,
        province,
        product,
        operator,
        revenue,
        users
    from market
    where month = ?
        and (? = 'ALL' or province = ?)
),

markets as (
    select
        period,
        province,
        product,
        sum(revenue) as market_revenue,
        sum(users) as market_users
    from market_rows
    group by period, province, product
),

shares as (
    select
        r.period,
        r.month,
        r.province,
        r.product,
        r.operator,
        r.revenue,
        r.users,
        cast(r.revenue as double) / nullif(cast(m.market_revenue as double), 0) as revenue_share,
        cast(r.users as double) / nullif(cast(m.market_users as double), 0) as user_share
    from market_rows as r
    inner join markets as m
        on m.period = r.period and m.province = r.province and m.product = r.product
),

final as (
    select
        cur.month,
        cur.province,
        cur.product,
        cur.operator,
        cast(cur.revenue as double) as revenue,
        cast(cur.revenue_share as double) as revenue_share,
        cast(cur.users as bigint) as users,
        cast(cur.user_share as double) as user_share,
        cast(cur.revenue_share as double) / nullif(cast(cur.user_share as double), 0) as quality_index,
        cast(cur.revenue - prev.revenue as double) / nullif(cast(prev.revenue as double), 0) as revenue_growth,
        cast(cur.users - prev.users as double) / nullif(cast(prev.users as double), 0) as users_growth
    from shares as cur
    left join shares as prev
        on prev.period = 'prev'
        and prev.province = cur.province
        and prev.product = cur.product
        and prev.operator = cur.operator
    where cur.period = 'cur'
)

select * from final
