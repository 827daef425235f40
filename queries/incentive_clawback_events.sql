-- One row per sales event a clawback needs: the `new` events that named a manager in the
-- look-back window (they may have been credited), and the churns of the same customer and
-- product from the churn window to the month's end (with or without a manager: the clawback
-- falls on the manager credited for the `new`).
-- Parameters: 1 first day of the `new` window (2N days before the month), 2 last day of the
-- month, 3 first day of the churn window (N days before the month), 4 last day of the month
-- (all 'YYYY-MM-DD', matched on partition dt).
with credited_news as (
    select *
    from sales
    where dt between ? and ?
        and event_type = 'new'
        and account_manager_id is not null
        and account_manager_id <> ''
),

churns as (
    select *
    from sales as s
    where dt between ? and ?
        and event_type = 'churn'
        and exists (
            select 1
            from credited_news as n
            where n.customer_id = s.customer_id
                and n.product = s.product
        )
),

both_kinds as (
    select * from credited_news
    union all
    select * from churns
),

final as (
    select
        event_id,
        event_date,
        province,
        customer_id,
        segment,
        sub_segment,
        channel,
        product,
        event_type,
        cast(monthly_fee as varchar) as monthly_fee,
        cast(prev_monthly_fee as varchar) as prev_monthly_fee,
        account_manager_id
    from both_kinds
)

select * from final
order by event_date, event_id, province
