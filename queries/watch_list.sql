-- watch_list: enterprise (政企) key accounts at risk in a period (SPEC §10, 重点客户预警).
--
-- Grain: one row per key account × warning signal of the period, for the scope. A key account is
--   an enterprise customer (province × customer_id) whose fee at stake, the latest monthly_fee of
--   each product it still holds (its latest sales event of that product is not a churn, within the
--   holdings window), is at least the threshold. Signals:
--     downgrade     a downgrade event in the period (fee_before → fee_after)
--     partialChurn  a churn of one product in the period while others remain (a churn of the last
--                   product leaves nothing held: that customer is gone, not at risk, and has no row)
--     complaint     a complaint ticket opened in the period
--     faultSlow     a fault opened in the period and resolved more than N minutes after opening
--     faultOpen     a fault opened in the period and not resolved
--     noVisit       no visit ticket from the customer's account manager (the latest one its sales
--                   events name; any visit when none is named) opened in the visit window
--   A ticket counts on its opened day in Asia/Shanghai; of a ticket in several files the later
--   file's version wins (as kpi_rows). Customers without a signal have no row.
--
-- Parameters, bound in order ('YYYY-MM-DD' strings; scope is 'ALL' or a province code):
--    1 holdings_start   first day of the sales read for the latest fee of each product
--    2 cur_end          last day of the period
--    3 scope
--    4 scope
--    5 fee_threshold    CNY a month
--    6 cur_start        sales signals: events of the period
--    7 cur_end
--    8 service_start    service file days: the day before the earlier of cur_start and visit_start
--    9 service_end      the day after cur_end
--   10 scope
--   11 scope
--   12 cur_start        complaint and fault tickets: opened in the period
--   13 cur_end
--   14 fault_minutes    a fault resolved later than this after opening is a signal (exactly on time is not)
--   15 visit_start      the visit window: its first day (cur_end − 4 weeks + 1 day by default)
--   16 cur_end
--
-- Athena binds ? only inside a WHERE clause, so every parameter filters a WHERE.

with

sales_rows as (
    select
        province,
        dt,
        event_id,
        customer_id,
        nullif(sub_segment, '') as sub_segment,
        nullif(account_manager_id, '') as account_manager_id,
        product,
        event_type,
        monthly_fee,
        prev_monthly_fee
    from sales
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
        and segment = 'enterprise'
),

-- One pass over the holdings window for each customer's latest event per product (held unless a
-- churn), its latest event (sub-segment) and its latest event naming a manager. Trino inlines a WITH
-- query at each reference, so key_accounts, used below, reads sales once per use, not three times.
ranked_sales as (
    select
        province,
        customer_id,
        product,
        event_type,
        monthly_fee,
        sub_segment,
        account_manager_id,
        row_number() over (partition by province, customer_id, product order by dt desc, event_id desc) as product_recency,
        row_number() over (partition by province, customer_id order by dt desc, event_id desc) as customer_recency,
        row_number() over (
            partition by province, customer_id
            order by case when account_manager_id is null then 1 else 0 end, dt desc, event_id desc
        ) as manager_recency
    from sales_rows
),

accounts as (
    select
        province,
        customer_id,
        max(case when customer_recency = 1 then sub_segment end) as sub_segment,
        max(case when manager_recency = 1 then account_manager_id end) as account_manager_id,
        sum(case when product_recency = 1 and event_type <> 'churn' then monthly_fee end) as fee_at_stake,
        count(case when product_recency = 1 and event_type <> 'churn' then 1 end) as products_held
    from ranked_sales
    group by province, customer_id
),

-- A customer holding no product has no fee at stake (null): not a key account.
key_accounts as (
    select
        province,
        customer_id,
        sub_segment,
        account_manager_id,
        fee_at_stake,
        products_held
    from accounts
    where fee_at_stake >= cast(? as decimal(18, 2))
),

sales_signals as (
    select
        s.province,
        s.customer_id,
        cast(case when s.event_type = 'downgrade' then 'downgrade' else 'partialChurn' end as varchar) as signal,
        cast(s.dt as varchar) as signal_day,
        cast(s.product as varchar) as product,
        cast(s.event_id as varchar) as ref,
        cast(s.prev_monthly_fee as decimal(18, 2)) as fee_before,
        cast(s.monthly_fee as decimal(18, 2)) as fee_after
    from sales_rows as s
    where s.dt between ? and ?
        and s.event_type in ('downgrade', 'churn')
),

service_rows as (
    select
        province,
        dt,
        ticket_id,
        customer_id,
        category,
        nullif(account_manager_id, '') as account_manager_id,
        opened_at,
        opened_date,
        resolved_at
    from service
    where dt between ? and ?
        and (? = 'ALL' or province = ?)
        and category in ('complaint', 'fault', 'visit')
),

-- Only the tickets of key accounts matter (a few thousand of millions): a ticket any version of
-- which names one keeps all its versions, so the latest is still picked among them all.
key_tickets as (
    select distinct
        s.province,
        s.ticket_id
    from service_rows as s
    inner join key_accounts as k
        on k.province = s.province and k.customer_id = s.customer_id
),

ticket_versions as (
    select
        s.province,
        s.ticket_id,
        s.customer_id,
        s.category,
        s.account_manager_id,
        s.opened_at,
        s.opened_date,
        s.resolved_at,
        row_number() over (partition by s.province, s.ticket_id order by s.dt desc) as version
    from service_rows as s
    inner join key_tickets as kt
        on kt.province = s.province and kt.ticket_id = s.ticket_id
),

tickets as (
    select *
    from ticket_versions
    where version = 1
),

ticket_signals as (
    select
        t.province,
        t.customer_id,
        cast(
            case
                when t.category = 'complaint' then 'complaint'
                when t.resolved_at is null then 'faultOpen'
                else 'faultSlow'
            end as varchar
        ) as signal,
        cast(t.opened_date as varchar) as signal_day,
        cast(null as varchar) as product,
        cast(t.ticket_id as varchar) as ref,
        cast(null as decimal(18, 2)) as fee_before,
        cast(null as decimal(18, 2)) as fee_after
    from tickets as t
    where t.opened_date between cast(? as date) and cast(? as date)
        and (
            t.category = 'complaint'
            or (
                t.category = 'fault'
                and (t.resolved_at is null or t.resolved_at > t.opened_at + interval '1' minute * cast(? as integer))
            )
        )
),

visits as (
    select
        province,
        customer_id,
        account_manager_id
    from tickets
    where category = 'visit'
        and opened_date between cast(? as date) and cast(? as date)
),

-- A key account without a visit ticket from its manager (any visit when it names none) in the window.
visit_signals as (
    select
        k.province,
        k.customer_id,
        cast('noVisit' as varchar) as signal,
        cast(null as varchar) as signal_day,
        cast(null as varchar) as product,
        cast(null as varchar) as ref,
        cast(null as decimal(18, 2)) as fee_before,
        cast(null as decimal(18, 2)) as fee_after
    from key_accounts as k
    left join visits as v
        on v.province = k.province
        and v.customer_id = k.customer_id
        and (k.account_manager_id is null or v.account_manager_id = k.account_manager_id)
    where v.customer_id is null
),

-- Signals of any customer; the join with key_accounts below keeps the key accounts' (a churn of a
-- customer's last product leaves it none held, so no key account and no row).
signals as (
    select * from sales_signals
    union all
    select * from ticket_signals
    union all
    select * from visit_signals
),

final as (
    select
        k.province,
        k.customer_id,
        k.sub_segment,
        k.account_manager_id,
        cast(k.fee_at_stake as double) as fee_at_stake,
        cast(k.products_held as bigint) as products_held,
        s.signal,
        s.signal_day,
        s.product,
        s.ref,
        cast(s.fee_before as double) as fee_before,
        cast(s.fee_after as double) as fee_after
    from key_accounts as k
    inner join signals as s
        on s.province = k.province and s.customer_id = k.customer_id
)

select * from final
