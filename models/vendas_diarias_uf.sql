-- Revenue by day and state (UF), from the ERP's sales. Partitioned by the sales month, like
-- erp_vendas, so a new batch of one month rebuilds that month only.
SELECT
    data_venda AS dia,
    uf,
    sum(valor_total) AS receita,
    count(*) AS vendas,
    sum(quantidade) AS itens,
    mes_venda AS mes
FROM erp_vendas
GROUP BY data_venda, uf, mes_venda
