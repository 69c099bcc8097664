-- @primary_key: state
-- @unique: state_name
-- @index: region
-- @description: Seed: the 27 Brazilian federative units (26 states + Distrito Federal) with name and IBGE macro-region.

with state_regions (state, state_name, region) as (

    values
        -- Norte
        ('AC', 'Acre', 'Norte'),
        ('AP', 'Amapá', 'Norte'),
        ('AM', 'Amazonas', 'Norte'),
        ('PA', 'Pará', 'Norte'),
        ('RO', 'Rondônia', 'Norte'),
        ('RR', 'Roraima', 'Norte'),
        ('TO', 'Tocantins', 'Norte'),
        -- Nordeste
        ('AL', 'Alagoas', 'Nordeste'),
        ('BA', 'Bahia', 'Nordeste'),
        ('CE', 'Ceará', 'Nordeste'),
        ('MA', 'Maranhão', 'Nordeste'),
        ('PB', 'Paraíba', 'Nordeste'),
        ('PE', 'Pernambuco', 'Nordeste'),
        ('PI', 'Piauí', 'Nordeste'),
        ('RN', 'Rio Grande do Norte', 'Nordeste'),
        ('SE', 'Sergipe', 'Nordeste'),
        -- Centro-Oeste
        ('DF', 'Distrito Federal', 'Centro-Oeste'),
        ('GO', 'Goiás', 'Centro-Oeste'),
        ('MT', 'Mato Grosso', 'Centro-Oeste'),
        ('MS', 'Mato Grosso do Sul', 'Centro-Oeste'),
        -- Sudeste
        ('ES', 'Espírito Santo', 'Sudeste'),
        ('MG', 'Minas Gerais', 'Sudeste'),
        ('RJ', 'Rio de Janeiro', 'Sudeste'),
        ('SP', 'São Paulo', 'Sudeste'),
        -- Sul
        ('PR', 'Paraná', 'Sul'),
        ('RS', 'Rio Grande do Sul', 'Sul'),
        ('SC', 'Santa Catarina', 'Sul')

)

select
    state::text as state,
    state_name::text as state_name,
    region::text as region
from state_regions
