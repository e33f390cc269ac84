-- Sales (the ERP's event stream) joined with the store reference table: revenue per
-- municipality next to its active stores and their sales area.
WITH lojas AS (
    SELECT municipio, uf, count(*) AS lojas_ativas, sum(area_m2) AS area_m2
    FROM ref_lojas_latest
    WHERE ativa
    GROUP BY municipio, uf
)
SELECT
    v.uf,
    v.municipio,
    sum(v.valor_total) AS receita,
    count(*) AS vendas,
    l.lojas_ativas,
    l.area_m2,
    CAST(sum(v.valor_total) AS double) / l.area_m2 AS receita_por_m2
FROM erp_vendas AS v
LEFT JOIN lojas AS l ON v.municipio = l.municipio AND v.uf = l.uf
GROUP BY v.uf, v.municipio, l.lojas_ativas, l.area_m2
