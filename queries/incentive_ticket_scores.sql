-- One row per account manager with scored tickets in the month: how many were scored and
-- how many scored 4 or 5 (the CSAT multiplier's input). A ticket belongs to the day of its
-- opened_at in Asia/Shanghai (opened_date); the dt window is one day wider on each side so a
-- ticket filed in a neighbouring day's extract is still found.
-- Parameters: 1 first dt, 2 last dt ('YYYY-MM-DD'), 3 first day, 4 last day of the month.
with scored_tickets as (
    select
        account_manager_id,
        satisfaction
    from service
    where dt between ? and ?
        and opened_date between cast(? as date) and cast(? as date)
        and account_manager_id is not null
        and account_manager_id <> ''
        and satisfaction is not null
),

final as (
    select
        account_manager_id,
        cast(count(*) as bigint) as scored,
        cast(sum(case when satisfaction >= 4 then 1 else 0 end) as bigint) as satisfied
    from scored_tickets
    group by account_manager_id
)

select * from final
order by account_manager_id
