from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Partner',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('issuer', fields.CharField(unique=True, description='Exact `iss` of its tokens', max_length=255)),
                ('audience', fields.CharField(null=True, description='Overrides PARTNER_TOKEN_AUDIENCE for this partner', max_length=255)),
                ('algorithms', fields.CharField(default='RS256,ES256,EdDSA', description='Comma-separated allow-list', max_length=120)),
                ('jwks_url', fields.CharField(null=True, max_length=500)),
                ('enabled', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partners', 'app': 'identity', 'pk_attr': 'id', 'table_description': 'A partner app whose backend mints sign-in JWTs for its users (configuration, not code).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('identity.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='keys', on_delete=OnDelete.CASCADE)),
                ('kid', fields.CharField(null=True, max_length=255)),
                ('public_key_pem', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_keys', 'app': 'identity', 'unique_together': (('partner', 'kid'),), 'pk_attr': 'id', 'table_description': 'Public key (PEM) of a partner, several per partner during a rotation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('user', fields.ForeignKeyField('identity.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('partner', fields.ForeignKeyField('identity.Partner', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoke_reason', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'sessions', 'app': 'identity', 'pk_attr': 'id', 'table_description': 'One signed-in device: a refresh-token family. Revoking it ends every token of it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('identity.Session', source_field='session_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_tokens', 'app': 'identity', 'pk_attr': 'id', 'table_description': 'One refresh token of a session, stored as its SHA-256, used once, then rotated.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsedJti',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('identity.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='used_jtis', on_delete=OnDelete.CASCADE)),
                ('jti', fields.CharField(max_length=255)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'used_jtis', 'app': 'identity', 'unique_together': (('partner', 'jti'),), 'pk_attr': 'id', 'table_description': 'Replay store: the jti of a partner token is accepted once (the unique key holds it).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='failed_logins',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='User',
            name='first_partner',
            field=fields.ForeignKeyField('identity.Partner', source_field='first_partner_id', null=True, db_constraint=True, to_field='id', related_name='first_users', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='last_sign_in_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='latest_partner',
            field=fields.ForeignKeyField('identity.Partner', source_field='latest_partner_id', null=True, db_constraint=True, to_field='id', related_name='latest_users', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='locked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='partner_subject',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='User',
            name='password_hash',
            field=fields.CharField(null=True, max_length=255),
        ),
    ]
