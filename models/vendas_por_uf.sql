-- Separation: each state's sales in a partition of their own (no customer names), so a
-- state's team reads only its partition (WHERE uf = 'SP' scans SP's files alone).
SELECT
    id_venda,
    data_venda,
    municipio,
    produto,
    quantidade,
    valor_total,
    uf
FROM erp_vendas
