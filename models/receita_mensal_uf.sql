-- A view: monthly revenue per state, computed when queried from the daily model.
SELECT mes, uf, sum(receita) AS receita, sum(vendas) AS vendas
FROM vendas_diarias_uf
GROUP BY mes, uf
