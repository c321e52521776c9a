# gem_import.rb - what the reference implementation of the key format (the
# gitlab-license gem, 2.x) makes of a key: Gitlab::License.import and the
# predicates the fixtures record, in Ruby with Ruby's own Base64, JSON, Date
# and OpenSSL.  Written from docs/license-format.md and the gem's documented
# behaviour (the gem itself cannot be installed here: no RubyGems registry),
# and checked against the gem's recorded view of every fixture in
# fixtures/gitlab-license/ by tests/e2e/test_gem_compat.sh.
#
# usage: ruby gem_import.rb PUBLIC_PEM KEY_FILE TODAY(YYYY-MM-DD)
# prints {"gem": {...as in the fixtures...}, "restrictions": {...} | null}
require 'base64'
require 'date'
require 'json'
require 'openssl'

class ImportError < StandardError; end
class EncryptorError < StandardError; end

# Boundary.remove_boundary: the last piece after a BEGIN line, the first
# before an END line
def remove_boundary(data)
  after = data.split(/(\A|\r?\n)-*BEGIN .+? LICENSE-*\r?\n/).last
  after.to_s.split(/\r?\n-*END .+? LICENSE-*(\r?\n|\z)/).first
end

# Encryptor#decrypt with a public key: every failure is an Encryptor error
def decrypt(pub, data)
  env = begin
    JSON.parse(Base64.decode64(data.to_s.chomp))
  rescue JSON::ParserError
    raise EncryptorError, 'Encryption data is invalid JSON'
  end
  raise EncryptorError, 'Encryption data is not a hash' unless env.is_a?(Hash)
  unless %w[data key iv].all? { |k| env[k] }
    raise EncryptorError, 'Required field missing from encryption data'
  end
  aes_key = begin
    pub.public_decrypt(Base64.decode64(env['key']))
  rescue OpenSSL::PKey::PKeyError
    raise EncryptorError, 'AES encryption key could not be decrypted'
  end
  cipher = OpenSSL::Cipher.new('aes-128-cbc')
  cipher.decrypt
  begin
    cipher.key = aes_key
    cipher.iv = Base64.decode64(env['iv'])
    cipher.update(Base64.decode64(env['data'])) + cipher.final
  rescue OpenSSL::Cipher::CipherError, ArgumentError
    raise EncryptorError, 'Data could not be decrypted'
  end
end

def import(pub, text)
  raise ImportError, 'No license data.' if text.nil?

  json = begin
    decrypt(pub, remove_boundary(text))
  rescue EncryptorError
    raise ImportError, 'License data could not be decrypted.'
  end
  begin
    JSON.parse(json)
  rescue JSON::ParserError
    raise ImportError, 'License data is invalid JSON.'
  end
end

# License.new: version, dates through Date.parse, restrictions kept when a Hash
def load_attributes(attrs)
  version = attrs['version'] || 1
  raise ArgumentError, 'Version is too new' unless version == 1

  lic = { 'licensee' => attrs['licensee'] }
  %w[issued_at expires_at notify_admins_at notify_users_at block_changes_at].each do |k|
    v = attrs[k]
    v = (Date.parse(v) rescue nil) if v.is_a?(String)
    lic[k] = v if v
  end
  r = attrs['restrictions']
  lic['restrictions'] = r if r.is_a?(Hash)
  lic['cloud'] = attrs['cloud_licensing_enabled'] == true
  lic['offline'] = attrs['offline_cloud_licensing_enabled'] == true
  lic
end

def team?(licensee, domain)
  return nil unless licensee.is_a?(Hash)

  !!(licensee['Company'].to_s =~ /gitlab/i) && licensee['Email'].to_s.end_with?(domain)
end

def view(lic, today)
  who = lic['licensee']
  gl = team?(who, '@gitlab.com')
  jh = team?(who, '@jihulab.com')
  dated = ->(k) { lic[k].nil? || lic[k].is_a?(Date) }
  valid = who.is_a?(Hash) && !who.empty? && lic['issued_at'].is_a?(Date) &&
          (lic['expires_at'] || gl || jh) ? true : false
  valid &&= %w[expires_at notify_admins_at notify_users_at block_changes_at].all?(&dated)
  {
    'import' => 'ok',
    'valid?' => valid,
    'expired?' => !!(lic['expires_at'] && today >= lic['expires_at']),
    'started?' => !!(lic['issued_at'] && today >= lic['issued_at']),
    'cloud_licensing?' => lic['cloud'],
    'offline_cloud_licensing?' => lic['offline'],
    'restricted?' => !!(lic['restrictions'] && !lic['restrictions'].empty?),
    'gl_team_license?' => gl,
    'jh_team_license?' => jh
  }
end

pem, key_file, today = ARGV
pub = OpenSSL::PKey::RSA.new(File.read(pem))
out = begin
  lic = load_attributes(import(pub, File.binread(key_file)))
  { 'gem' => view(lic, Date.parse(today)), 'restrictions' => lic['restrictions'] }
rescue ImportError, ArgumentError => e
  { 'gem' => { 'import' => 'error', 'error_class' =>
                 e.is_a?(ImportError) ? 'Gitlab::License::ImportError' : e.class.name,
               'error_message' => e.message,
               'is_gitlab_license_import_error' => e.is_a?(ImportError) },
    'restrictions' => nil }
end
puts JSON.generate(out)
